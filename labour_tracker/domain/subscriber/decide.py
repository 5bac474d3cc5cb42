"""The subscriber's rules: a command and the current state give the events, or a broken rule."""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import assert_never

from labour_tracker.domain.errors import DomainError, ErrorKind
from labour_tracker.domain.limits import SUBSCRIPTIONS_PER_SUBSCRIBER
from labour_tracker.domain.subscriber.commands import (
    ConfirmContact,
    EraseSubscriber,
    ForgetBirthingPerson,
    RegisterSubscriber,
    RequestConfirmationCode,
    SetSubscriptionContactMethods,
    SubscriberCommand,
    SubscribeTo,
    UnsubscribeFrom,
    UpdateContactMethods,
)
from labour_tracker.domain.subscriber.confirmation import (
    CODE_LIFETIME,
    CODES_PER_HOUR,
    code_digest,
    confirmation_code,
)
from labour_tracker.domain.subscriber.events import (
    BirthingPersonForgotten,
    ConfirmationCodeSent,
    ContactConfirmed,
    ContactMethodsUpdated,
    SubscribedTo,
    SubscriberErased,
    SubscriberEvent,
    SubscriberRegistered,
    SubscriptionContactMethodsSet,
    UnsubscribedFrom,
)
from labour_tracker.domain.subscriber.model import ContactMethod, Subscriber, require_registered


def decide(
    state: Subscriber | None, command: SubscriberCommand, *, now: datetime, command_id: str = "", secret: bytes = b""
) -> list[SubscriberEvent]:
    """The events the command causes; raises DomainError when it breaks a rule. `secret` (the server's) makes and
    checks confirmation codes; `command_id` makes a code that the command's follow-up can make again."""
    match command:
        case RegisterSubscriber():
            return _register(state, command)
        case RequestConfirmationCode():
            return _request_code(require_registered(state), command, now, command_id, secret)
        case ConfirmContact():
            return _confirm_contact(require_registered(state), command, now, secret)
        case UpdateContactMethods():
            return _update_contact_methods(require_registered(state), command)
        case SubscribeTo():
            return _subscribe_to(require_registered(state), command)
        case UnsubscribeFrom():
            return _unsubscribe_from(require_registered(state), command)
        case ForgetBirthingPerson():
            return _forget(state, command)
        case SetSubscriptionContactMethods():
            return _set_subscription_contact_methods(require_registered(state), command)
        case EraseSubscriber():
            return _erase(state)
        case _:
            assert_never(command)


def _register(state: Subscriber | None, command: RegisterSubscriber) -> list[SubscriberEvent]:
    if state is not None:
        raise DomainError(
            ErrorKind.CONFLICT, "subscriber_already_registered", "You are already registered as a subscriber."
        )
    _check_reachable(command.contact_methods, phone_number=command.phone_number, email=command.email)
    destinations = {ContactMethod.SMS: command.phone_number, ContactMethod.EMAIL: command.email}
    return [
        SubscriberRegistered(
            subscriber_id=command.subscriber_id,
            first_name=command.first_name,
            last_name=command.last_name,
            phone_number=command.phone_number,
            email=command.email,
            contact_methods=command.contact_methods,
            confirmed=frozenset(each for each in command.verified if not _is_blank(destinations[each])),
        )
    ]


def _request_code(
    state: Subscriber, command: RequestConfirmationCode, now: datetime, command_id: str, secret: bytes
) -> list[SubscriberEvent]:
    if state.destination(command.channel) is None:
        raise DomainError(ErrorKind.INVALID, "no_destination", f"Your token has no destination for {command.channel}.")
    if command.channel in state.confirmed:
        raise DomainError(ErrorKind.INVALID, "already_confirmed", f"Your {command.channel} destination is confirmed.")
    CODES_PER_HOUR.check(state.codes_sent, now)
    code = confirmation_code(secret, state.id, command_id)
    digest = code_digest(secret, state.id, command.channel, code)
    return [ConfirmationCodeSent(state.id, command.channel, digest, now + CODE_LIFETIME, now)]


def _confirm_contact(state: Subscriber, command: ConfirmContact, now: datetime, secret: bytes) -> list[SubscriberEvent]:
    pending = state.confirmation
    if command.channel in state.confirmed:
        return []  # confirmed already: a retry, or a second tab
    expected = (
        pending.code_digest if pending and pending.channel == command.channel and now <= pending.expires_at else ""
    )
    entered = code_digest(secret, state.id, command.channel, command.code.strip())
    if not expected or not hmac.compare_digest(expected, entered):
        raise DomainError(
            ErrorKind.INVALID, "invalid_confirmation_code", "That code is not the one sent, or it has expired."
        )
    return [ContactConfirmed(state.id, command.channel)]


def _update_contact_methods(state: Subscriber, command: UpdateContactMethods) -> list[SubscriberEvent]:
    _check_reachable(command.contact_methods, phone_number=state.phone_number, email=state.email)
    if command.contact_methods == state.contact_methods:
        return []
    return [ContactMethodsUpdated(subscriber_id=state.id, contact_methods=command.contact_methods)]


def _subscribe_to(state: Subscriber, command: SubscribeTo) -> list[SubscriberEvent]:
    if command.birthing_person_id == state.id:
        raise DomainError(ErrorKind.INVALID, "cannot_subscribe_to_self", "You cannot subscribe to yourself.")
    if command.birthing_person_id in state.subscribed_to:
        raise DomainError(
            ErrorKind.INVALID, "already_subscribed", "You are already subscribed to this birthing person."
        )
    SUBSCRIPTIONS_PER_SUBSCRIBER.check(len(state.subscribed_to) + 1)
    if command.contact_methods is not None:
        _check_reachable(command.contact_methods, phone_number=state.phone_number, email=state.email)
    return [
        SubscribedTo(
            subscriber_id=state.id,
            birthing_person_id=command.birthing_person_id,
            token_version=command.token_version,
            contact_methods=command.contact_methods,
        )
    ]


def _unsubscribe_from(state: Subscriber, command: UnsubscribeFrom) -> list[SubscriberEvent]:
    _require_subscribed(state, command.birthing_person_id)
    return [UnsubscribedFrom(subscriber_id=state.id, birthing_person_id=command.birthing_person_id)]


def _set_subscription_contact_methods(
    state: Subscriber, command: SetSubscriptionContactMethods
) -> list[SubscriberEvent]:
    _require_subscribed(state, command.birthing_person_id)
    _check_reachable(command.contact_methods, phone_number=state.phone_number, email=state.email)
    if state.subscription_contact_methods.get(command.birthing_person_id) == command.contact_methods:
        return []
    return [SubscriptionContactMethodsSet(state.id, command.birthing_person_id, command.contact_methods)]


def _require_subscribed(state: Subscriber, birthing_person_id: str) -> None:
    if birthing_person_id not in state.subscribed_to:
        raise DomainError(ErrorKind.INVALID, "not_subscribed", "You are not subscribed to this birthing person.")


def _forget(state: Subscriber | None, command: ForgetBirthingPerson) -> list[SubscriberEvent]:
    if state is None or command.birthing_person_id not in state.subscribed_to:
        return []  # redelivered, or the subscriber let go first
    return [BirthingPersonForgotten(state.id, command.birthing_person_id)]


def _erase(state: Subscriber | None) -> list[SubscriberEvent]:
    if state is None:
        return []  # nothing to erase: erased already, or never registered
    return [SubscriberErased(state.id, tuple(sorted(state.subscribed_to)))]


def _check_reachable(contact_methods: frozenset[ContactMethod], *, phone_number: str | None, email: str | None) -> None:
    if not contact_methods:
        raise DomainError(
            ErrorKind.INVALID,
            "contact_methods_required",
            "Choose at least one way to be contacted: sms or email.",
        )
    if ContactMethod.SMS in contact_methods and _is_blank(phone_number):
        raise DomainError(
            ErrorKind.INVALID, "phone_number_required", "A phone number is needed to be contacted by SMS."
        )
    if ContactMethod.EMAIL in contact_methods and _is_blank(email):
        raise DomainError(ErrorKind.INVALID, "email_required", "An email address is needed to be contacted by email.")


def _is_blank(value: str | None) -> bool:
    return value is None or not value.strip()
