"""Views of labour: begin, contractions, complete, and the active labour with its pattern and summary."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel

from labour_tracker.domain import labour
from labour_tracker.domain.errors import DomainError, ErrorKind
from labour_tracker.http.birthing_person import command, now, read_person, respond
from labour_tracker.http.identity import current_user
from labour_tracker.http.plumbing import parse_body, request_body
from labour_tracker.http.schemas import LabourResponse, LabourSummaryResponse, LabourSummaryView, LabourView
from labour_tracker.messages.birthing_person import (
    BeginLabourData,
    CompleteLabourData,
    EndContractionData,
    StartContractionData,
)

NO_ACTIVE_LABOUR = DomainError(ErrorKind.NOT_FOUND, "labour_not_found", "There is no active labour.")


def latest_labour(person: labour.BirthingPerson) -> labour.Labour:
    """The labour a labour command just changed: the active one, or the one it just completed."""
    return person.labours[-1]


async def _labour_command(request: web.Request, command_type: str, payload: type[BaseModel]) -> web.Response:
    body = await parse_body(request, request_body(payload))
    person = await command(request, command_type, body)
    return respond(LabourResponse(labour=LabourView.of(latest_labour(person), now())))


async def begin(request: web.Request) -> web.Response:
    return await _labour_command(request, labour.BeginLabour.TYPE, BeginLabourData)


async def start_contraction(request: web.Request) -> web.Response:
    return await _labour_command(request, labour.StartContraction.TYPE, StartContractionData)


async def end_contraction(request: web.Request) -> web.Response:
    return await _labour_command(request, labour.EndContraction.TYPE, EndContractionData)


async def complete(request: web.Request) -> web.Response:
    return await _labour_command(request, labour.CompleteLabour.TYPE, CompleteLabourData)


async def _active_labour(request: web.Request, person_id: str) -> labour.Labour | web.Response:
    person = await read_person(request, person_id)
    if isinstance(person, web.Response):
        return person
    if person.active_labour is None:
        raise NO_ACTIVE_LABOUR
    return person.active_labour


async def active(request: web.Request) -> web.Response:
    found = await _active_labour(request, current_user(request).id)
    if isinstance(found, web.Response):
        return found
    return respond(LabourResponse(labour=LabourView.of(found, now())))


async def active_summary(request: web.Request) -> web.Response:
    found = await _active_labour(request, current_user(request).id)
    if isinstance(found, web.Response):
        return found
    return respond(LabourSummaryResponse(summary=LabourSummaryView.of(found, now())))
