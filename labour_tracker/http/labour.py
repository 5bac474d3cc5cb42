"""Views of labour: plan, begin, contractions, updates, complete, and the active labour with its pattern and summary."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import ValidationError

from labour_tracker.domain import labour
from labour_tracker.domain.errors import DomainError, ErrorKind
from labour_tracker.domain.limits import MAX_AGGREGATE_ID_LENGTH
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
    without_body,
)
from labour_tracker.http.commands import command_id, parse_body, send_command
from labour_tracker.http.schemas import (
    LabourPlanResponse,
    LabourPlanView,
    LabourSummaryResponse,
    LabourSummaryView,
    labour_response_json,
)
from labour_tracker.messages import birthing_person as commands
from labour_tracker.messages.commands import CommandType

NO_PLANNED_LABOUR = DomainError(ErrorKind.NOT_FOUND, "labour_not_found", "No labour is planned.")
NO_ACTIVE_LABOUR = DomainError(ErrorKind.NOT_FOUND, "labour_not_found", "There is no active labour.")
CONTRACTION_NOT_FOUND = DomainError(
    ErrorKind.NOT_FOUND, "contraction_not_found", "The labour has no contraction with this id."
)
UPDATE_NOT_FOUND = DomainError(ErrorKind.NOT_FOUND, "labour_update_not_found", "The labour has no update with this id.")
NOT_SUBSCRIBED = DomainError(
    ErrorKind.FORBIDDEN, "not_subscribed", "Only the birthing person's subscribers can follow their labour."
)
FOLLOW_REQUEST_PENDING = DomainError(
    ErrorKind.FORBIDDEN,
    "follow_request_pending",
    "The birthing person has not approved your follow request yet.",
)


def whose_labour(request: web.Request) -> tuple[str, str | None]:
    """The person whose labour a command is about, and who acts for them: the caller's own, or, under
    `/birthing-person/{birthing_person_id}/…`, that person's, with the caller as the actor (a birth partner)."""
    caller = current_user(request).id
    if "birthing_person_id" not in request.match_info:
        return caller, None
    return person_id_in_path(request), caller


def latest_labour(person: labour.BirthingPerson) -> labour.Labour:
    """The labour a labour command just changed: the active one, or the one it just completed."""
    assert person.latest_labour is not None, "a labour command that was accepted leaves a latest labour"
    return person.latest_labour


async def _labour_command(request: web.Request, kind: CommandType[Any]) -> web.Response:
    assert kind.request is not None, "a labour command's route takes its body"
    body = await parse_body(request, kind.request)
    person_id, actor = whose_labour(request)
    person: labour.BirthingPerson = await send_command(request, BIRTHING_PERSON, person_id, kind, body, actor=actor)
    return respond_json(labour_response_json(latest_labour(person), now(), follower=actor is not None))


async def plan(request: web.Request) -> web.Response:
    body = await parse_body(request, commands.PlanLabourRequest)
    person: labour.BirthingPerson = await send_command(
        request, BIRTHING_PERSON, current_user(request).id, commands.PLAN_LABOUR, body
    )
    assert person.plan is not None, "a plan that was accepted is kept"
    return respond(LabourPlanResponse(plan=LabourPlanView.of(person.plan)))


async def cancel_plan(request: web.Request) -> web.Response:
    await without_body(request)
    user = current_user(request).id
    await send_command(
        request,
        BIRTHING_PERSON,
        user,
        commands.CANCEL_PLAN,
        commands.CancelPlanData(),
        chosen_id=command_id(request, None),
    )
    return web.Response(status=204)


async def planned(request: web.Request) -> web.Response:
    person = await read_person(request, current_user(request).id)
    if person.plan is None:
        raise NO_PLANNED_LABOUR
    return respond(LabourPlanResponse(plan=LabourPlanView.of(person.plan)))


async def begin(request: web.Request) -> web.Response:
    return await _labour_command(request, commands.BEGIN_LABOUR)


async def start_contraction(request: web.Request) -> web.Response:
    return await _labour_command(request, commands.START_CONTRACTION)


async def end_contraction(request: web.Request) -> web.Response:
    return await _labour_command(request, commands.END_CONTRACTION)


async def complete(request: web.Request) -> web.Response:
    return await _labour_command(request, commands.COMPLETE_LABOUR)


async def add_contraction(request: web.Request) -> web.Response:
    return await _labour_command(request, commands.ADD_CONTRACTION)


async def edit_contraction(request: web.Request) -> web.Response:
    body = await parse_body(request, commands.EditContractionRequest)
    try:
        data = commands.EditContractionData(
            contraction_id=contraction_id_in_path(request), **body.model_dump(exclude={"command_id"})
        )
    except ValidationError:
        raise CONTRACTION_NOT_FOUND from None
    return await _correct(request, commands.EDIT_CONTRACTION, data, command_id(request, body))


async def delete_contraction(request: web.Request) -> web.Response:
    await without_body(request)
    data = commands.ContractionIdData(contraction_id=contraction_id_in_path(request))
    return await _correct(request, commands.DELETE_CONTRACTION, data, command_id(request, None))


async def undo_contraction_change(request: web.Request) -> web.Response:
    await without_body(request)
    return await _correct(
        request, commands.UNDO_CONTRACTION_CHANGE, commands.UndoContractionChangeData(), command_id(request, None)
    )


def contraction_id_in_path(request: web.Request) -> str:
    """The `{contraction_id}` of the path; one that cannot be any contraction's is not found."""
    contraction_id = request.match_info["contraction_id"]
    if not 0 < len(contraction_id) <= MAX_AGGREGATE_ID_LENGTH or "\x00" in contraction_id:
        raise CONTRACTION_NOT_FOUND
    return contraction_id


async def _correct(request: web.Request, kind: CommandType[Any], data: Any, chosen_id: str) -> web.Response:
    """A correction of the latest labour (the caller's, or the person's they act for), with its payload made from the
    path and body."""
    person_id, actor = whose_labour(request)
    person: labour.BirthingPerson = await send_command(
        request, BIRTHING_PERSON, person_id, kind, data, chosen_id=chosen_id, actor=actor
    )
    return respond_json(labour_response_json(latest_labour(person), now(), follower=actor is not None))


async def _active_labour(request: web.Request, person_id: str, *, reader: str | None = None) -> labour.Labour:
    """The person's active labour; with `reader`, read by someone who must be the person or one of their subscribers.

    The check runs on the worker owning the person (reads elsewhere are forwarded there with the caller's token).
    """
    person = await read_person(
        request, person_id, missing=PERSON_NOT_REGISTERED if reader is None else PERSON_NOT_FOUND
    )
    if reader is not None and reader != person.id and reader not in person.subscribers:
        raise FOLLOW_REQUEST_PENDING if reader in person.follow_requests else NOT_SUBSCRIBED
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
    return respond_json(labour_response_json(found, now(), follower=True))


async def followed_active_summary(request: web.Request) -> web.Response:
    found = await _active_labour(request, person_id_in_path(request), reader=current_user(request).id)
    return respond(LabourSummaryResponse(summary=LabourSummaryView.of(found, now())))


async def post_update(request: web.Request) -> web.Response:
    return await _labour_command(request, commands.POST_UPDATE)


async def post_quick_update(request: web.Request) -> web.Response:
    body = await parse_body(request, commands.QuickUpdateRequest)
    data = commands.PostLabourUpdateData(moment=body.moment)
    return await _correct(request, commands.POST_UPDATE, data, command_id(request, body))


async def edit_update(request: web.Request) -> web.Response:
    body = await parse_body(request, commands.EditLabourUpdateRequest)
    data = commands.EditLabourUpdateData(update_id=update_id_in_path(request), message=body.message)
    return await _correct(request, commands.EDIT_UPDATE, data, command_id(request, body))


async def delete_update(request: web.Request) -> web.Response:
    await without_body(request)
    data = commands.LabourUpdateIdData(update_id=update_id_in_path(request))
    return await _correct(request, commands.DELETE_UPDATE, data, command_id(request, None))


def update_id_in_path(request: web.Request) -> str:
    """The `{update_id}` of the path; one that cannot be any update's is not found."""
    update_id = request.match_info["update_id"]
    if not 0 < len(update_id) <= MAX_AGGREGATE_ID_LENGTH or "\x00" in update_id:
        raise UPDATE_NOT_FOUND
    return update_id
