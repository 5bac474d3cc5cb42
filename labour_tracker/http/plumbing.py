"""How a view talks to the agents: parse the body, send the command and await the reply, or read the owner's table."""

from __future__ import annotations

import asyncio
import re
import uuid
from functools import cache
from typing import Any, TypeVar

from aiohttp import ClientError, web
from aiokafka.errors import KafkaError
from aiokafka.partitioner import DefaultPartitioner
from pydantic import BaseModel, Field, ValidationError, create_model
from yarl import URL

from labour_tracker.agents.replies import Reply
from labour_tracker.http.errors import AnsweredByOwner, ApiError
from labour_tracker.http.keys import FAUST_APP, HTTP_CLIENT, SETTINGS
from labour_tracker.messages.codec import from_data
from labour_tracker.messages.envelopes import COMMAND_ID_PATTERN, CommandEnvelope, Outcome
from labour_tracker.tables.records import AggregateRecord

M = TypeVar("M", bound=BaseModel)
S = TypeVar("S")

FORWARDED_HEADER = "X-Labour-Tracker-Forwarded"  # marks a read another worker forwarded, so it is never bounced on


@cache
def request_body(payload: type[M]) -> type[M]:
    """The request body of a command: its payload, plus an optional client-chosen `command_id`."""
    return create_model(
        payload.__name__.removesuffix("Data") + "Request",
        __base__=payload,
        command_id=(
            str | None,
            Field(None, pattern=COMMAND_ID_PATTERN, description="Alternative to Idempotency-Key."),
        ),
    )


async def parse_body(request: web.Request, model: type[M]) -> M:
    raw = await request.read()
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as error:
        problems = error.errors(include_url=False, include_context=False, include_input=False)
        if any(problem["type"] == "json_invalid" for problem in problems):
            raise ApiError(400, "invalid_json", "The request body is not valid JSON.") from None
        details = [{"loc": list(p["loc"]), "msg": p["msg"], "type": p["type"]} for p in problems]
        raise ApiError(422, "validation_error", "The request body is not valid.", details=details) from None


def command_id(request: web.Request, body: BaseModel | None) -> str:
    # An empty header is a key that is no command id, not a missing one: ignored, it would make a retry a new command.
    chosen = request.headers.get("Idempotency-Key")
    if chosen is None:
        chosen = getattr(body, "command_id", None) if body else None
    if chosen is None:
        return uuid.uuid4().hex
    if not re.fullmatch(COMMAND_ID_PATTERN, chosen):
        raise ApiError(400, "invalid_idempotency_key", "Idempotency-Key must be 1-128 of A-Z a-z 0-9 . _ : -")
    return chosen


async def send_command(
    request: web.Request,
    agent: Any,
    aggregate_id: str,
    command_type: str,
    state_type: type[S],
    body: BaseModel | None = None,
    *,
    chosen_id: str | None = None,
) -> S:
    """Send the command to the aggregate's agent and return the new state, or raise the agent's refusal.

    The command id is `chosen_id`, else the request's Idempotency-Key or body `command_id`, else a new one.
    """
    if not request.app[FAUST_APP].topics_declared.is_set():  # type: ignore[attr-defined]
        raise ApiError(503, "starting", "The worker is starting; try again shortly.", headers={"Retry-After": "1"})
    chosen_id = chosen_id or command_id(request, body)
    data = body.model_dump(mode="json", exclude={"command_id"}, exclude_none=True) if body else {}
    envelope = CommandEnvelope(id=chosen_id, type=command_type, aggregate_id=aggregate_id, data=data)
    asking = asyncio.ensure_future(agent.ask(value=envelope.model_dump_json().encode(), key=aggregate_id))
    try:
        # Shielded: a cancelled wait would cancel Faust's reply promise, and the late reply arriving for it would
        # then crash Faust's reply consumer, leaving every later command of this worker without an answer.
        reply = await asyncio.wait_for(asyncio.shield(asking), request.app[SETTINGS].reply_timeout)
    except TimeoutError:
        LATE_REPLIES.add(asking)
        asking.add_done_callback(_forget_late_reply)
        raise ApiError(
            504,
            "reply_timeout",
            f"No reply in time for command {chosen_id}; it may still be applied. Retry with the same Idempotency-Key.",
            details=[{"command_id": chosen_id}],
            headers={"Idempotency-Key": chosen_id},
        ) from None
    except KafkaError:
        raise ApiError(503, "kafka_unavailable", "The command could not be sent; try again shortly.") from None
    if not isinstance(reply, Reply):  # answered by a worker elsewhere, through Kafka, as JSON data
        reply = Reply(Outcome.model_validate(reply["outcome"]), reply["state"])
    if reply.outcome.error is not None:
        error = reply.outcome.error
        raise ApiError.from_error(error.kind, error.code, error.description, error.details)
    return reply.state if isinstance(reply.state, state_type) else from_data(state_type, reply.state)


LATE_REPLIES: set[asyncio.Future[Any]] = set()  # still awaited after their 504: held, or they would be collected


def _forget_late_reply(asked: asyncio.Future[Any]) -> None:
    """A reply that came after its caller was answered 504 has no one to go to; retrieve it so none is logged."""
    LATE_REPLIES.discard(asked)
    if not asked.cancelled():
        asked.exception()


def owner_of(faust_app: Any, table: Any, key: str) -> URL:
    """The web URL of the worker whose active partitions hold `key` (Kafka's default partitioner picks it)."""
    partitions = table.changelog_topic.partitions
    partition = DefaultPartitioner()(key.encode(), list(range(partitions)), None)
    changelog = table.changelog_topic.get_topic_name()
    for url, topics in faust_app.router.table_metadata(table.name).items():
        if partition in topics.get(changelog, ()):
            return URL(url)
    raise ApiError(503, "not_ready", "The worker is joining the cluster; try again shortly.")


async def read_record(request: web.Request, table: Any, key: str) -> AggregateRecord[Any]:
    """The key's record on this worker, when it owns the key; otherwise the owner answers the whole request
    (raised as AnsweredByOwner, so no view needs to know where the data lives)."""
    faust_app = request.app[FAUST_APP]
    owner = owner_of(faust_app, table, key)
    here = faust_app.conf.canonical_url
    if (owner.host, owner.port) == (here.host, here.port):
        record: AggregateRecord[Any] | None = table.get(key)
        return record if record is not None else AggregateRecord()
    if request.headers.get(FORWARDED_HEADER):
        raise ApiError(503, "rebalancing", "Partitions are moving between workers; try again shortly.")
    headers = {"Authorization": request.headers.get("Authorization", ""), FORWARDED_HEADER: "1"}
    try:
        async with request.app[HTTP_CLIENT].get(
            owner.with_path(request.path).with_query(request.query), headers=headers
        ) as answer:
            body = await answer.read()
    except (ClientError, TimeoutError):
        raise ApiError(503, "owner_unavailable", "The worker holding this data did not answer; try again.") from None
    raise AnsweredByOwner(web.Response(body=body, status=answer.status, content_type=answer.content_type))
