"""A subscriber: someone a birthing person has chosen to keep informed."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from labour_tracker.domain.errors import DomainError, ErrorKind


class ContactMethod(StrEnum):
    SMS = "sms"
    EMAIL = "email"


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


def require_registered(state: Subscriber | None) -> Subscriber:
    """The subscriber, or the error every operation on an unregistered subscriber gets."""
    if state is None:
        raise DomainError(ErrorKind.NOT_FOUND, "subscriber_not_found", "You have not registered as a subscriber.")
    return state
