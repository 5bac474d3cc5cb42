"""A labour followed live: stream tickets, and the stream of server-sent events a ticket opens.

A stream shows a snapshot of the labour first (or, with `Last-Event-ID`, what the reader missed, when this worker
still has it), then each change as the owning worker publishes it; every event's id is the person's version after
it. Only the person and their subscribers may follow; followers see what `GET /birthing-person/{id}/labour/active`
shows them, never the private notes. A follower removed or blocked, or a person erased, ends the stream at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import orjson
from aiohttp import ClientError, web
from pydantic import Field

from labour_tracker.domain import labour
from labour_tracker.domain.limits import MAX_AGGREGATE_ID_LENGTH
from labour_tracker.http.authentication import current_user
from labour_tracker.http.birthing_person import BIRTHING_PERSON, PERSON_NOT_FOUND, person_id_in_path
from labour_tracker.http.commands import parse_body
from labour_tracker.http.errors import ApiError
from labour_tracker.http.keys import DATABASE, HTTP_CLIENT, LIVE, SETTINGS
from labour_tracker.http.labour import NOT_SUBSCRIBED
from labour_tracker.http.ports import AGGREGATES
from labour_tracker.http.reads import FORWARDED_HEADER, owner_elsewhere, owner_unavailable
from labour_tracker.http.schemas import View, labour_response_json
from labour_tracker.live.hub import LIVE_NOT_READY, LiveNotReady, Stream
from labour_tracker.live.sse import HEARTBEAT, event_frame, retry_frame
from labour_tracker.live.tickets import NO_TICKET, USED_TICKET, TicketRefused
from labour_tracker.mirror.database import UNAVAILABLE

STREAM_EVENTS = (
    "Each event has an `id` (the person's version after it: send it back as `Last-Event-ID`), a name and JSON "
    "`data` carrying `type` (the Kafka event's) and `version`. `snapshot`: `{version, labour}`, the active labour "
    "as `GET /birthing-person/{id}/labour/active` shows you (null without one), first, and whenever what you missed "
    "is no longer at hand; `contraction`: `{contraction_id, contraction, summary}` (started, ended, edited, added; "
    "`contraction` null once deleted); `phase`: `{phase, from_phase, summary}`; `alert`: `{alert, reason, summary}`; "
    "`update`: `{update_id, update}` (null once deleted; a follower never sees a private note); `labour` (begun) "
    "and `completed`: `{labour}` (its summary). `summary` is the labour's, as `.../labour/active/summary` writes it. "
    "`end`: `{reason}` (`cut_off`: you no longer follow them; `erased`; `too_slow`: reconnect; `shutdown` or "
    "`reconnect`: this server stopped following, reconnect), and the stream closes. Comment lines "
    "(`: heartbeat`) keep a quiet stream open."
)
PASS_HEADER = "X-Labour-Tracker-Live-Pass"  # one worker's pass to read a snapshot from the person's owner
RECONNECT_MS = 2000
WRITE_TIMEOUT = 30.0  # seconds a frame may wait for the reader's connection to take it


class TicketRequest(View):
    birthing_person_id: str | None = Field(
        None,
        min_length=1,
        max_length=MAX_AGGREGATE_ID_LENGTH,
        description="The person whose labour to follow; leave it out to follow your own.",
    )


class TicketResponse(View):
    ticket: str = Field(description="Opaque; opens one stream, once, within a minute. Never log it.")
    expires_at: datetime
    stream: str = Field(description="The stream's path with the ticket, ready for an EventSource.")


class SnapshotResponse(View):
    """Internal: the labour as the reader may see it, from the worker owning the person."""

    version: int
    labour: dict[str, Any] | None


def now() -> datetime:
    return datetime.now(UTC)


async def issue_ticket(request: web.Request) -> web.Response:
    body = await parse_body(request, TicketRequest)
    user = current_user(request).id
    person_id = body.birthing_person_id or user
    if "\x00" in person_id:
        raise PERSON_NOT_FOUND
    live = request.app[LIVE]
    issued_at = now()
    ticket = live.signer.issue(user, person_id, issued_at)
    answer = TicketResponse(ticket=ticket, expires_at=live.signer.read(ticket, person_id, issued_at).expires,
                            stream=f"{stream_path(person_id)}?ticket={ticket}")  # fmt: skip
    return web.Response(body=answer.to_json(), status=201, content_type="application/json")


def stream_path(person_id: str) -> str:
    return f"/api/v1/live/birthing-person/{quote(person_id, safe='')}"


def _not_ready() -> ApiError:
    return ApiError(503, "live_not_ready", str(LIVE_NOT_READY), headers={"Retry-After": "1"})


def _refused(refusal: TicketRefused) -> ApiError:
    return ApiError(401, refusal.code, refusal.description)


def last_event_id_of(request: web.Request) -> int | None:
    """The id of the last event the reader saw (header, or query for a new EventSource); None if none or unusable."""
    given = request.headers.get("Last-Event-ID") or request.query.get("last_event_id")
    if given is None or not (given.isascii() and given.isdigit()) or len(given) > 18:
        return None
    return int(given)


async def stream(request: web.Request) -> web.StreamResponse:
    person_id = person_id_in_path(request)
    live = request.app[LIVE]
    if not live.hub.following:  # before the ticket is looked at: the reader keeps it for the next try
        raise _not_ready()
    shown = request.query.get("ticket")
    if not shown:
        raise _refused(NO_TICKET)
    try:
        ticket = live.signer.read(shown, person_id, now())
    except TicketRefused as refusal:
        raise _refused(refusal) from None
    try:
        following = live.hub.open(person_id, ticket.user_id)  # before anything is read: it misses nothing from here on
    except LiveNotReady:
        raise _not_ready() from None
    try:
        await _redeem(request, ticket.nonce, ticket.expires)
        version, found = await snapshot(request, person_id, ticket.user_id)
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        )
        await response.prepare(request)
        with contextlib.suppress(ConnectionError, TimeoutError):  # the reader left, or stopped reading
            await _send(response, retry_frame(RECONNECT_MS))
            await _catch_up(response, following, version, found, last_event_id_of(request), live.hub)
            await _follow(response, following, request.app[SETTINGS].live_heartbeat)
        return response
    finally:
        live.hub.close(following)


async def _send(response: web.StreamResponse, frame: bytes) -> None:
    """Write a frame; a reader whose connection takes nothing for a while is let go (it reconnects)."""
    async with asyncio.timeout(WRITE_TIMEOUT):
        await response.write(frame)


async def _redeem(request: web.Request, nonce: str, expires: datetime) -> None:
    try:
        pool = await request.app[DATABASE].pool()
        async with pool.acquire() as connection:
            fresh = await request.app[LIVE].ledger.redeem(connection, nonce, expires)
    except UNAVAILABLE as error:
        raise ApiError(503, "database_unavailable", "Streams cannot open for a moment; try again shortly.",
                       headers={"Retry-After": "5"}) from error  # fmt: skip
    if not fresh:
        raise _refused(USED_TICKET)


async def _catch_up(
    response: web.StreamResponse,
    following: Stream,
    version: int,
    found: dict[str, Any] | None,
    last_seen: int | None,
    hub: Any,
) -> None:
    """What the reader missed, from this worker's latest messages when they cover it; a snapshot otherwise."""
    missed = hub.missed(following.person_id, last_seen) if last_seen is not None and last_seen <= version else None
    if missed is None:
        await _send(response, event_frame("snapshot", {"version": version, "labour": found}, version))
        following.sent_up_to(version)
        return
    for message in missed:
        for frame in following.frames(message, after=last_seen or 0):
            await _send(response, event_frame(frame.name, frame.data, frame.id))
    following.sent_up_to(max([last_seen or 0, *(each.version for each in missed)]))


async def _follow(response: web.StreamResponse, following: Stream, heartbeat: float) -> None:
    while True:
        frames = await following.next(heartbeat)
        if frames is None:
            await _send(response, event_frame("end", {"reason": following.ended}))
            return
        if not frames:
            await _send(response, HEARTBEAT)
        for frame in frames:
            await _send(response, event_frame(frame.name, frame.data, frame.id))


async def snapshot(request: web.Request, person_id: str, reader: str) -> tuple[int, dict[str, Any] | None]:
    """The person's version and active labour as `reader` may see it, from the worker owning the person."""
    owner = owner_elsewhere(request, BIRTHING_PERSON, person_id)
    if owner is None:
        return _snapshot_here(request, person_id, reader)
    live = request.app[LIVE]
    headers = {PASS_HEADER: live.signer.issue(reader, person_id, now(), purpose="snapshot"), FORWARDED_HEADER: "1"}
    at = owner.with_path(f"{stream_path(person_id)}/snapshot", encoded=True)
    try:
        async with request.app[HTTP_CLIENT].get(at, headers=headers) as answer:
            body = await answer.read()
            status = answer.status
    except (ClientError, TimeoutError):
        raise owner_unavailable() from None
    try:
        found = orjson.loads(body)
    except orjson.JSONDecodeError:
        found = {}
    if not isinstance(found, dict):
        found = {}
    if status != 200 or not isinstance(found.get("version"), int):
        raise ApiError(status if status >= 400 else 503, str(found.get("code", "owner_unavailable")),
                       str(found.get("description", "The worker holding this data did not answer.")))  # fmt: skip
    return found["version"], found.get("labour")


def _snapshot_here(request: web.Request, person_id: str, reader: str) -> tuple[int, dict[str, Any] | None]:
    aggregates = request.app[AGGREGATES]
    person: labour.BirthingPerson | None = aggregates.state(BIRTHING_PERSON, person_id)
    if person is None:
        raise PERSON_NOT_FOUND
    if reader != person.id and reader not in person.subscribers:
        raise NOT_SUBSCRIBED
    found = person.active_labour
    view = None
    if found is not None:
        view = orjson.loads(labour_response_json(found, now(), follower=reader != person.id))["labour"]
    return aggregates.version(BIRTHING_PERSON, person_id), view


async def owner_snapshot(request: web.Request) -> web.Response:
    """Internal: a snapshot for a stream open on another worker, shown this worker's pass."""
    person_id = person_id_in_path(request)
    try:
        granted = request.app[LIVE].signer.read(request.headers.get(PASS_HEADER, ""), person_id, now(),
                                                purpose="snapshot")  # fmt: skip
    except TicketRefused as refusal:
        raise _refused(refusal) from None
    version, found = await snapshot(request, person_id, granted.user_id)
    answer = SnapshotResponse(version=version, labour=found)
    return web.Response(body=answer.to_json(), content_type="application/json")
