"""Views of the birthing person: register, read, and the subscription token they share."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ValidationError

from labour_tracker.domain import labour
from labour_tracker.domain.errors import DomainError, ErrorKind
from labour_tracker.domain.limits import MAX_AGGREGATE_ID_LENGTH
from labour_tracker.domain.subscription_token import subscription_token
from labour_tracker.http.authentication import current_user
from labour_tracker.http.commands import command_id, parse_body, send_command
from labour_tracker.http.errors import ApiError
from labour_tracker.http.keys import SETTINGS
from labour_tracker.http.reads import read_state
from labour_tracker.http.schemas import (
    BirthingPersonResponse,
    BirthingPersonView,
    SubscriptionTokenResponse,
    View,
)
from labour_tracker.messages import birthing_person as commands
from labour_tracker.messages.commands import CommandType

BIRTHING_PERSON = "birthing_person"  # the aggregate
PERSON_NOT_REGISTERED = DomainError(
    ErrorKind.NOT_FOUND, "birthing_person_not_found", "No birthing person is registered for you."
)
SUBSCRIBER_NOT_FOUND = DomainError(ErrorKind.NOT_FOUND, "subscriber_not_found", "This subscriber does not follow you.")
PERSON_NOT_FOUND = DomainError(
    ErrorKind.NOT_FOUND, "birthing_person_not_found", "No birthing person is registered with this id."
)


def person_id_in_path(request: web.Request) -> str:
    """The `{birthing_person_id}` of the path; one that cannot be anyone's (too long, or with NUL) is not found."""
    person_id = request.match_info["birthing_person_id"]
    if len(person_id) > MAX_AGGREGATE_ID_LENGTH or "\x00" in person_id:
        raise PERSON_NOT_FOUND
    return person_id


def respond(view: View, status: int = 200) -> web.Response:
    return respond_json(view.to_json(), status)


def respond_json(body: bytes, status: int = 200) -> web.Response:
    return web.Response(body=body, status=status, content_type="application/json")


async def command(request: web.Request, kind: CommandType[Any], body: Any = None) -> labour.BirthingPerson:
    """Apply a command to the caller's own birthing-person aggregate; returns the new state."""
    person: labour.BirthingPerson = await send_command(request, BIRTHING_PERSON, current_user(request).id, kind, body)
    return person


async def read_person(
    request: web.Request, person_id: str, *, missing: DomainError = PERSON_NOT_REGISTERED
) -> labour.BirthingPerson:
    """The person as their owning worker holds them."""
    person: labour.BirthingPerson | None = await read_state(request, BIRTHING_PERSON, person_id)
    if person is None:
        raise missing
    return person


def now() -> datetime:
    return datetime.now(UTC)


def token_for(request: web.Request, person: labour.BirthingPerson) -> SubscriptionTokenResponse:
    secret = request.app[SETTINGS].subscription_token_secret.encode()
    return SubscriptionTokenResponse(token=subscription_token(secret, person.id, person.subscription_token_version))


async def register(request: web.Request) -> web.Response:
    user = current_user(request)
    try:
        body = commands.RegisterBirthingPersonData(first_name=user.first_name, last_name=user.last_name)
    except ValidationError:  # the names are the identity provider's, and may be longer than we keep
        raise ApiError(422, "invalid_profile", "Your names (from your identity provider) are too long.") from None
    person = await command(request, commands.REGISTER, body)
    return respond(BirthingPersonResponse(birthing_person=BirthingPersonView.of(person)), status=201)


async def get_birthing_person(request: web.Request) -> web.Response:
    person = await read_person(request, current_user(request).id)
    return respond(BirthingPersonResponse(birthing_person=BirthingPersonView.of(person)))


async def get_subscription_token(request: web.Request) -> web.Response:
    person = await read_person(request, current_user(request).id)
    return respond(token_for(request, person))


async def without_body(request: web.Request) -> None:
    if await request.read():
        raise ApiError(400, "unexpected_body", "This request takes no body.")


async def rotate_subscription_token(request: web.Request) -> web.Response:
    body = await parse_body(request, commands.RotateSubscriptionTokenRequest)
    person = await command(request, commands.ROTATE_SUBSCRIPTION_TOKEN, body)
    return respond(token_for(request, person))


async def remove_follower(request: web.Request) -> web.Response:
    await without_body(request)
    return await _about_subscriber(request, commands.REMOVE_FOLLOWER, None, block=False)


async def block_subscriber(request: web.Request) -> web.Response:
    await without_body(request)
    return await _about_subscriber(request, commands.REMOVE_FOLLOWER, None, block=True)


async def unblock_subscriber(request: web.Request) -> web.Response:
    await without_body(request)
    return await _about_subscriber(request, commands.UNBLOCK_SUBSCRIBER, None)


async def _about_subscriber(
    request: web.Request, kind: CommandType[Any], body: BaseModel | None, **data: Any
) -> web.Response:
    """A command about one subscriber (in the path) to the caller's own record, with what the body (if any) says;
    answers with the record."""
    subscriber_id = request.match_info["subscriber_id"]
    try:
        payload = kind.payload(subscriber_id=subscriber_id, **data)
    except ValidationError:
        raise SUBSCRIBER_NOT_FOUND from None
    person = await send_command(
        request, BIRTHING_PERSON, current_user(request).id, kind, payload, chosen_id=command_id(request, body)
    )
    return respond(BirthingPersonResponse(birthing_person=BirthingPersonView.of(person)))


async def approve_follow_request(request: web.Request) -> web.Response:
    body = await parse_body(request, commands.RoleRequest)
    return await _about_subscriber(request, commands.APPROVE_FOLLOW_REQUEST, body, role=body.role)


async def reject_follow_request(request: web.Request) -> web.Response:
    body = await parse_body(request, commands.RejectFollowRequestRequest)
    return await _about_subscriber(request, commands.REJECT_FOLLOW_REQUEST, body, block=body.block)


async def change_follower_role(request: web.Request) -> web.Response:
    body = await parse_body(request, commands.RoleRequest)
    return await _about_subscriber(request, commands.CHANGE_FOLLOWER_ROLE, body, role=body.role)


async def change_follower_settings(request: web.Request) -> web.Response:
    body = await parse_body(request, commands.ChangeFollowerSettingsRequest)
    person = await command(request, commands.CHANGE_FOLLOWER_SETTINGS, body)
    return respond(BirthingPersonResponse(birthing_person=BirthingPersonView.of(person)))


async def erase_birthing_person(request: web.Request) -> web.Response:
    await without_body(request)
    await send_command(request, BIRTHING_PERSON, current_user(request).id, commands.ERASE, commands.EraseData())
    return web.Response(status=204)
