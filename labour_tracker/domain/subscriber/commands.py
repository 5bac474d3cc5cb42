"""What a subscriber can ask for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Final

from labour_tracker.domain.subscriber.model import ContactMethod


@dataclass(frozen=True, slots=True)
class RegisterSubscriber:
    TYPE: ClassVar[str] = "subscriber.register"

    subscriber_id: str
    first_name: str
    last_name: str
    phone_number: str | None
    email: str | None
    contact_methods: frozenset[ContactMethod]
    verified: frozenset[ContactMethod] = frozenset()  # channels whose destination the issuer says it verified


@dataclass(frozen=True, slots=True)
class RequestConfirmationCode:
    """Send a one-time code to the channel's destination, to confirm it."""

    TYPE: ClassVar[str] = "subscriber.request_confirmation_code"

    channel: ContactMethod


@dataclass(frozen=True, slots=True)
class ConfirmContact:
    TYPE: ClassVar[str] = "subscriber.confirm_contact"

    channel: ContactMethod
    code: str


@dataclass(frozen=True, slots=True)
class UpdateContactMethods:
    TYPE: ClassVar[str] = "subscriber.update_contact_methods"

    contact_methods: frozenset[ContactMethod]


@dataclass(frozen=True, slots=True)
class SubscribeTo:
    """Carries only the id: the token and the person's existence are checked against the person beforehand."""

    TYPE: ClassVar[str] = "subscriber.subscribe_to"

    birthing_person_id: str
    token_version: int | None = None  # of the person's share token it was checked with, checked again there
    contact_methods: frozenset[ContactMethod] | None = None  # for this person only; None: the account's


@dataclass(frozen=True, slots=True)
class UnsubscribeFrom:
    TYPE: ClassVar[str] = "subscriber.unsubscribe_from"

    birthing_person_id: str


@dataclass(frozen=True, slots=True)
class SetSubscriptionContactMethods:
    """Choose the channels news about one person followed goes by, whatever the account's contact methods."""

    TYPE: ClassVar[str] = "subscriber.set_subscription_contact_methods"

    birthing_person_id: str
    contact_methods: frozenset[ContactMethod]


@dataclass(frozen=True, slots=True)
class EraseSubscriber:
    """Delete the subscriber's account: their record, and their place among each person's subscribers."""

    TYPE: ClassVar[str] = "subscriber.erase"


@dataclass(frozen=True, slots=True)
class ForgetBirthingPerson:
    """Sent by the service when a person the subscriber follows deletes their account or removes them; idempotent."""

    TYPE: ClassVar[str] = "subscriber.forget_birthing_person"

    birthing_person_id: str


SubscriberCommand = (
    RegisterSubscriber
    | UpdateContactMethods
    | SubscribeTo
    | UnsubscribeFrom
    | RequestConfirmationCode
    | ConfirmContact
    | EraseSubscriber
    | ForgetBirthingPerson
    | SetSubscriptionContactMethods
)

COMMAND_TYPES: Final[dict[str, type[SubscriberCommand]]] = {
    command.TYPE: command
    for command in (
        RegisterSubscriber,
        UpdateContactMethods,
        SubscribeTo,
        UnsubscribeFrom,
        RequestConfirmationCode,
        ConfirmContact,
        EraseSubscriber,
        ForgetBirthingPerson,
        SetSubscriptionContactMethods,
    )
}
