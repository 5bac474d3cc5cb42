"""What has happened to a subscriber."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Final

from labour_tracker.domain.subscriber.model import ContactMethod


@dataclass(frozen=True, slots=True)
class SubscriberRegistered:
    TYPE: ClassVar[str] = "subscriber.registered"

    subscriber_id: str
    first_name: str
    last_name: str
    phone_number: str | None
    email: str | None
    contact_methods: frozenset[ContactMethod]
    # Channels confirmed at once (the issuer verified them); None in events from before confirmation, whose
    # destinations all count as confirmed.
    confirmed: frozenset[ContactMethod] | None = None


@dataclass(frozen=True, slots=True)
class ConfirmationCodeSent:
    """A code went to the channel's destination; the event keeps only its keyed digest."""

    TYPE: ClassVar[str] = "subscriber.confirmation_code_sent"

    subscriber_id: str
    channel: ContactMethod
    code_digest: str
    expires_at: datetime
    sent_at: datetime


@dataclass(frozen=True, slots=True)
class ContactConfirmed:
    TYPE: ClassVar[str] = "subscriber.contact_confirmed"

    subscriber_id: str
    channel: ContactMethod


@dataclass(frozen=True, slots=True)
class ContactMethodsUpdated:
    TYPE: ClassVar[str] = "subscriber.contact_methods_updated"

    subscriber_id: str
    contact_methods: frozenset[ContactMethod]


@dataclass(frozen=True, slots=True)
class SubscribedTo:
    """Re-keyed by birthing person id to reach the person's partition, so it carries both ids."""

    TYPE: ClassVar[str] = "subscriber.subscribed_to"

    subscriber_id: str
    birthing_person_id: str
    token_version: int | None = None  # of the share token it was authorised with; None from before it was carried
    contact_methods: frozenset[ContactMethod] | None = None  # chosen for this person; None: the account's


@dataclass(frozen=True, slots=True)
class UnsubscribedFrom:
    """Re-keyed by birthing person id to reach the person's partition, so it carries both ids."""

    TYPE: ClassVar[str] = "subscriber.unsubscribed_from"

    subscriber_id: str
    birthing_person_id: str


@dataclass(frozen=True, slots=True)
class BirthingPersonForgotten:
    """A person the subscriber followed deleted their account or removed them: the subscription ends here too."""

    TYPE: ClassVar[str] = "subscriber.birthing_person_forgotten"

    subscriber_id: str
    birthing_person_id: str


@dataclass(frozen=True, slots=True)
class SubscriptionContactMethodsSet:
    """News about this person goes by these channels from now on, whatever the account's contact methods."""

    TYPE: ClassVar[str] = "subscriber.subscription_contact_methods_set"

    subscriber_id: str
    birthing_person_id: str
    contact_methods: frozenset[ContactMethod]


@dataclass(frozen=True, slots=True)
class SubscriberErased:
    """The subscriber deleted their account: the state is gone, and each person they followed lets go of them."""

    TYPE: ClassVar[str] = "subscriber.erased"

    subscriber_id: str
    birthing_person_ids: tuple[str, ...]


SubscriberEvent = (
    SubscriberRegistered
    | ContactMethodsUpdated
    | SubscribedTo
    | UnsubscribedFrom
    | ConfirmationCodeSent
    | ContactConfirmed
    | BirthingPersonForgotten
    | SubscriberErased
    | SubscriptionContactMethodsSet
)

EVENT_TYPES: Final[dict[str, type[SubscriberEvent]]] = {
    event.TYPE: event
    for event in (
        SubscriberRegistered,
        ContactMethodsUpdated,
        SubscribedTo,
        UnsubscribedFrom,
        ConfirmationCodeSent,
        ContactConfirmed,
        BirthingPersonForgotten,
        SubscriberErased,
        SubscriptionContactMethodsSet,
    )
}

# The events that say who the subscriber is and how to reach them; the others carry ids and settings only.
PERSONAL_EVENT_TYPES: Final[frozenset[str]] = frozenset({SubscriberRegistered.TYPE})
