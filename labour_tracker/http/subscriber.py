"""Views of the subscriber: register, read, contact methods, and subscribing to the birthing persons they follow."""

from __future__ import annotations

import ipaddress
from collections.abc import Hashable
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from aiohttp import web
from pydantic import ValidationError

from labour_tracker.domain import subscriber
from labour_tracker.domain.errors import DomainError, ErrorKind
from labour_tracker.http.attempts import TooManyAttempts
from labour_tracker.http.authentication import current_user
from labour_tracker.http.birthing_person import BIRTHING_PERSON, person_id_in_path, respond, without_body
from labour_tracker.http.commands import command_id, parse_body, send_command
from labour_tracker.http.errors import ApiError
from labour_tracker.http.keys import SUBSCRIBE_FAILURES
from labour_tracker.http.reads import read_state
from labour_tracker.http.schemas import SubscriberResponse, SubscriberView
from labour_tracker.messages import birthing_person as person_commands
from labour_tracker.messages import subscriber as commands
from labour_tracker.messages.commands import CommandType

SUBSCRIBER = "subscriber"  # the aggregate
SUBSCRIBER_NOT_REGISTERED = DomainError(
    ErrorKind.NOT_FOUND, "subscriber_not_found", "You have not registered as a subscriber."
)


async def command(
    request: web.Request, kind: CommandType[Any], body: Any, *, chosen_id: str | None = None
) -> subscriber.Subscriber:
    """Apply a command to the caller's own subscriber aggregate; returns the new state."""
    caller = current_user(request).id
    found: subscriber.Subscriber = await send_command(request, SUBSCRIBER, caller, kind, body, chosen_id=chosen_id)
    return found


def respond_with(found: subscriber.Subscriber, status: int = 200) -> web.Response:
    return respond(SubscriberResponse(subscriber=SubscriberView.of(found)), status=status)


async def read_subscriber(request: web.Request) -> subscriber.Subscriber:
    """The caller as their owning worker holds them."""
    found: subscriber.Subscriber | None = await read_state(request, SUBSCRIBER, current_user(request).id)
    if found is None:
        raise SUBSCRIBER_NOT_REGISTERED
    return found


async def register_subscriber(request: web.Request) -> web.Response:
    body = await parse_body(request, commands.ContactMethodsRequest)
    user = current_user(request)
    try:
        data = commands.RegisterSubscriberData(
            first_name=user.first_name,
            last_name=user.last_name,
            phone_number=user.phone_number,
            email=user.email,
            contact_methods=body.contact_methods,
            verified={
                channel
                for channel, verified in (
                    (subscriber.ContactMethod.SMS, user.phone_number_verified),
                    (subscriber.ContactMethod.EMAIL, user.email_verified),
                )
                if verified
            },
        )
    except ValidationError:
        raise ApiError(
            422, "invalid_profile", "Your names, phone number or email (from your identity provider) are too long."
        ) from None
    found = await command(request, commands.REGISTER, data, chosen_id=command_id(request, body))
    return respond_with(found, status=201)


async def get_subscriber(request: web.Request) -> web.Response:
    found = await read_subscriber(request)
    return respond_with(found)


async def update_contact_methods(request: web.Request) -> web.Response:
    body = await parse_body(request, commands.ContactMethodsRequest)
    return respond_with(await command(request, commands.UPDATE_CONTACT_METHODS, body))


async def send_confirmation_code(request: web.Request) -> web.Response:
    body = await parse_body(request, commands.ChannelRequest)
    return respond_with(await command(request, commands.REQUEST_CONFIRMATION_CODE, body))


async def confirm_contact(request: web.Request) -> web.Response:
    body = await parse_body(request, commands.ConfirmContactRequest)
    return respond_with(await command(request, commands.CONFIRM_CONTACT, body))


def authorisation_id(subscriber_id: str, chosen_id: str) -> str:
    """The id of a subscribe's check on the person's aggregate: the same on a retry, and never one of the
    person's own command ids (a caller-chosen id there could replay the person's answer)."""
    return str(uuid5(NAMESPACE_URL, f"labour-tracker:authorise-subscriber/{subscriber_id}/{chosen_id}"))


def client_address(request: web.Request) -> Hashable:
    """Who is on the other end of the connection (never a forwarding header, which the client writes itself);
    an IPv6 client by its /64, which one host commonly holds whole."""
    try:
        address = ipaddress.ip_address(request.remote or "")
    except ValueError:
        return ("address", request.remote)
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return ("address", address.ipv4_mapped)
        return ("address", ipaddress.IPv6Network((address, 64), strict=False))
    return ("address", address)


def wrong_token(error: BaseException) -> bool:
    """A refusal of the token itself (the domain's rule), as opposed to an unknown person, a timeout, …"""
    return isinstance(error, ApiError) and error.code == "invalid_subscription_token"


def too_many_attempts(refused: TooManyAttempts) -> ApiError:
    return ApiError(
        429,
        "too_many_attempts",
        f"Too many wrong subscription tokens; try again in {refused.retry_after} seconds.",
        headers={"Retry-After": str(refused.retry_after)},
    )


async def subscribe_to(request: web.Request) -> web.Response:
    """Two steps, so the caller hears the final outcome: the person checks the token, then the subscriber subscribes.

    The subscriber's `subscribed_to` event then reaches the person through the subscriptions processor. Wrong
    tokens are limited per caller and per client address, and one over the limit sends no command at all.
    """
    person_id = person_id_in_path(request)
    body = await parse_body(request, commands.SubscriptionTokenRequest)
    caller, chosen_id = current_user(request).id, command_id(request, body)
    subscriber_key = ("subscriber", caller)
    try:
        # Under way counts for the subscriber, so one cannot send a burst of guesses at once; not for the address,
        # which many people behind one proxy share.
        with request.app[SUBSCRIBE_FAILURES].attempt(
            subscriber_key, client_address(request), failed=wrong_token, under_way=(subscriber_key,)
        ):
            person = await send_command(
                request,
                BIRTHING_PERSON,
                person_id,
                person_commands.AUTHORISE_SUBSCRIBER,
                person_commands.AuthoriseSubscriberData(subscriber_id=caller, token=body.token),
                chosen_id=authorisation_id(caller, chosen_id),
            )
    except TooManyAttempts as refused:
        raise too_many_attempts(refused) from None
    # The token's version goes with the subscription: a rotation landing in between turns it away at the person.
    data = commands.SubscribeToData(
        birthing_person_id=person_id,
        token_version=person.subscription_token_version,
        contact_methods=body.contact_methods,
    )
    return respond_with(await command(request, commands.SUBSCRIBE_TO, data, chosen_id=chosen_id))


async def set_subscription_contact_methods(request: web.Request) -> web.Response:
    """The channels news about one person followed goes by; the path names the person."""
    person_id = person_id_in_path(request)
    body = await parse_body(request, commands.ContactMethodsRequest)
    data = commands.SubscriptionContactMethodsData(birthing_person_id=person_id, contact_methods=body.contact_methods)
    chosen_id = command_id(request, body)
    return respond_with(await command(request, commands.SET_SUBSCRIPTION_CONTACT_METHODS, data, chosen_id=chosen_id))


async def unsubscribe_from(request: web.Request) -> web.Response:
    body = await parse_body(request, commands.UnsubscribeFromRequest)
    return respond_with(await command(request, commands.UNSUBSCRIBE_FROM, body))


async def erase_subscriber(request: web.Request) -> web.Response:
    await without_body(request)
    await send_command(request, SUBSCRIBER, current_user(request).id, commands.ERASE, commands.EraseData())
    return web.Response(status=204)
