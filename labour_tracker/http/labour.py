"""Views of labour: begin, contractions, complete, and the active labour with its pattern and summary."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel

from labour_tracker.domain import labour
from labour_tracker.domain.errors import DomainError, ErrorKind
from labour_tracker.http.authentication import current_user
from labour_tracker.http.birthing_person import (
    NOT_REGISTERED,
    PERSON_NOT_FOUND,
    command,
    now,
    person_id_in_path,
    read_person,
    respond,
    respond_json,
)
from labour_tracker.http.plumbing import parse_body, request_body
from labour_tracker.http.schemas import LabourSummaryResponse, LabourSummaryView, labour_response_json
from labour_tracker.messages.birthing_person import (
    BeginLabourData,
    CompleteLabourData,
    EndContractionData,
    StartContractionData,
)

NO_ACTIVE_LABOUR = DomainError(ErrorKind.NOT_FOUND, "labour_not_found", "There is no active labour.")
NOT_SUBSCRIBED = DomainError(
    ErrorKind.FORBIDDEN, "not_subscribed", "Only the birthing person's subscribers can follow their labour."
)


def latest_labour(person: labour.BirthingPerson) -> labour.Labour:
    """The labour a labour command just changed: the active one, or the one it just completed."""
    assert person.latest_labour is not None, "a labour command that was accepted leaves a latest labour"
    return person.latest_labour


async def _labour_command(request: web.Request, command_type: str, payload: type[BaseModel]) -> web.Response:
    body = await parse_body(request, request_body(payload))
    person = await command(request, command_type, body)
    return respond_json(labour_response_json(latest_labour(person), now()))


async def begin(request: web.Request) -> web.Response:
    return await _labour_command(request, labour.BeginLabour.TYPE, BeginLabourData)


async def start_contraction(request: web.Request) -> web.Response:
    return await _labour_command(request, labour.StartContraction.TYPE, StartContractionData)


async def end_contraction(request: web.Request) -> web.Response:
    return await _labour_command(request, labour.EndContraction.TYPE, EndContractionData)


async def complete(request: web.Request) -> web.Response:
    return await _labour_command(request, labour.CompleteLabour.TYPE, CompleteLabourData)


async def _active_labour(request: web.Request, person_id: str, *, reader: str | None = None) -> labour.Labour:
    """The person's active labour; with `reader`, read by someone who must be the person or one of their subscribers.

    The check runs on the worker owning the person (reads elsewhere are forwarded there with the caller's token).
    """
    person = await read_person(request, person_id, missing=NOT_REGISTERED if reader is None else PERSON_NOT_FOUND)
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
