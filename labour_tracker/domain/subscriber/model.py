"""A subscriber: someone a birthing person has chosen to keep informed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from labour_tracker.domain.errors import DomainError, ErrorKind


class ContactMethod(StrEnum):
    SMS = "sms"
    EMAIL = "email"


@dataclass(frozen=True, slots=True)
class PendingConfirmation:
    """A code sent to confirm one channel's destination: only its keyed digest is kept."""

    channel: ContactMethod
    code_digest: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Subscriber:
    id: str
    first_name: str
    last_name: str
    phone_number: str | None
    email: str | None
    contact_methods: frozenset[ContactMethod]
    # The source of truth for subscriptions; the birthing person's side is derived from the events.
    subscribed_to: frozenset[str] = frozenset()
    # Channels whose destination is confirmed (by the issuer, or by a code the service sent): the only ones used.
    confirmed: frozenset[ContactMethod] = frozenset()
    confirmation: PendingConfirmation | None = None  # the code last sent, until it is entered or expires
    codes_sent: tuple[datetime, ...] = ()  # when the latest codes were sent, for the cap on codes an hour
    # The channels chosen for one person followed, by their id; a person without a choice is told by contact_methods.
    # Only persons in subscribed_to, so it is bounded by the cap on subscriptions.
    subscription_contact_methods: Mapping[str, frozenset[ContactMethod]] = field(default_factory=dict)

    def destination(self, channel: ContactMethod) -> str | None:
        """Where `channel` reaches the subscriber; None if it does not."""
        found = self.phone_number if channel is ContactMethod.SMS else self.email
        return found.strip() if found and found.strip() else None

    def contact_methods_for(self, birthing_person_id: str) -> frozenset[ContactMethod]:
        """The channels news about `birthing_person_id` goes by: those chosen for them, or the account's."""
        return self.subscription_contact_methods.get(birthing_person_id, self.contact_methods)


def require_registered(state: Subscriber | None) -> Subscriber:
    """The subscriber, or the error every operation on an unregistered subscriber gets."""
    if state is None:
        raise DomainError(ErrorKind.NOT_FOUND, "subscriber_not_found", "You have not registered as a subscriber.")
    return state
