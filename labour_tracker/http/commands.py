"""How a view sends a command: its body parsed, its command id chosen, the agent's reply awaited."""

from __future__ import annotations

import re
import uuid
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from labour_tracker.http.errors import ApiError
from labour_tracker.http.keys import SETTINGS
from labour_tracker.http.ports import COMMAND_BUS, NoReplyInTime, NotSent
from labour_tracker.messages.commands import CommandType
from labour_tracker.messages.envelopes import COMMAND_ID_PATTERN, CommandEnvelope

M = TypeVar("M", bound=BaseModel)


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
    aggregate: str,
    aggregate_id: str,
    command: CommandType[Any],
    body: BaseModel | None = None,
    *,
    chosen_id: str | None = None,
    actor: str | None = None,
) -> Any:
    """Send the command to the aggregate's agent and return the new state, or raise the agent's refusal.

    The command id is `chosen_id`, else the request's Idempotency-Key or body `command_id`, else a new one. `actor`:
    the caller, when they act for the aggregate's own user (the aggregate decides whether they may).
    """
    bus = request.app[COMMAND_BUS]
    if not bus.accepting():
        raise ApiError(503, "starting", "The worker is starting; try again shortly.", headers={"Retry-After": "1"})
    chosen_id = chosen_id or command_id(request, body)
    data = body.model_dump(mode="json", exclude={"command_id"}, exclude_none=True) if body else {}
    envelope = CommandEnvelope(id=chosen_id, type=command.name, aggregate_id=aggregate_id, data=data, actor=actor)
    try:
        reply = await bus.send(aggregate, envelope, request.app[SETTINGS].reply_timeout)
    except NoReplyInTime:
        raise ApiError(
            504,
            "reply_timeout",
            f"No reply in time for command {chosen_id}; it may still be applied. Retry with the same Idempotency-Key.",
            details=[{"command_id": chosen_id}],
            headers={"Idempotency-Key": chosen_id},
        ) from None
    except NotSent:
        raise ApiError(503, "kafka_unavailable", "The command could not be sent; try again shortly.") from None
    if reply.outcome.error is not None:
        error = reply.outcome.error
        raise ApiError.from_error(error.kind, error.code, error.description, error.details, error.retry_after)
    return reply.state
