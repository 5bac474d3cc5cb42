"""Views of labour: begin, contractions, complete, and the active labour with its pattern and summary."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from labour_tracker.domain import labour
from labour_tracker.domain.errors import DomainError, ErrorKind
from labour_tracker.http.authentication import current_user
from labour_tracker.http.birthing_person import (
    BIRTHING_PERSON,
    PERSON_NOT_FOUND,
    PERSON_NOT_REGISTERED,
    now,
    person_id_in_path,
    read_person,
    respond,
    respond_json,
)
from labour_tracker.http.commands import parse_body, send_command
from labour_tracker.http.schemas import LabourSummaryResponse, LabourSummaryView, labour_response_json
from labour_tracker.messages import birthing_person as commands
from labour_tracker.messages.commands import CommandType

NO_ACTIVE_LABOUR = DomainError(ErrorKind.NOT_FOUND, "labour_not_found", "There is no active labour.")
NOT_SUBSCRIBED = DomainError(
    ErrorKind.FORBIDDEN, "not_subscribed", "Only the birthing person's subscribers can follow their labour."
)


def latest_labour(person: labour.BirthingPerson) -> labour.Labour:
    """The labour a labour command just changed: the active one, or the one it just completed."""
    assert person.latest_labour is not None, "a labour command that was accepted leaves a latest labour"
    return person.latest_labour


async def _labour_command(request: web.Request, kind: CommandType[Any]) -> web.Response:
    assert kind.request is not None, "a labour command's route takes its body"
    body = await parse_body(request, kind.request)
    person: labour.BirthingPerson = await send_command(request, BIRTHING_PERSON, current_user(request).id, kind, body)
    return respond_json(labour_response_json(latest_labour(person), now()))


async def begin(request: web.Request) -> web.Response:
    return await _labour_command(request, commands.BEGIN_LABOUR)


async def start_contraction(request: web.Request) -> web.Response:
    return await _labour_command(request, commands.START_CONTRACTION)


async def end_contraction(request: web.Request) -> web.Response:
    return await _labour_command(request, commands.END_CONTRACTION)


async def complete(request: web.Request) -> web.Response:
    return await _labour_command(request, commands.COMPLETE_LABOUR)


async def _active_labour(request: web.Request, person_id: str, *, reader: str | None = None) -> labour.Labour:
    """The person's active labour; with `reader`, read by someone who must be the person or one of their subscribers.

    The check runs on the worker owning the person (reads elsewhere are forwarded there with the caller's token).
    """
    person = await read_person(
        request, person_id, missing=PERSON_NOT_REGISTERED if reader is None else PERSON_NOT_FOUND
    )
    if reader is not None and reader != person.id and reader not in person.subscribers:
        raise NOT_SUBSCRIBED
    if person.active_labour is None:
        raise NO_ACTIVE_LABOUR
    return person.active_labour


async def active(request: web.Request) -> web.Response:
    found = await _active_labour(request, current_user(request).id)
    return respond_json(labour_response_json(found, now()))


async def active_summary(request: web.Request) -> web.Response:
    found = await _active_labour(request, current_user(request).id)
    return respond(LabourSummaryResponse(summary=LabourSummaryView.of(found, now())))


async def followed_active(request: web.Request) -> web.Response:
    found = await _active_labour(request, person_id_in_path(request), reader=current_user(request).id)
    return respond_json(labour_response_json(found, now()))


async def followed_active_summary(request: web.Request) -> web.Response:
    found = await _active_labour(request, person_id_in_path(request), reader=current_user(request).id)
    return respond(LabourSummaryResponse(summary=LabourSummaryView.of(found, now())))
