"""A notification: one per (event, subscriber, channel), and the life of its status from pending to sent or failed."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from uuid import NAMESPACE_URL, uuid5

from labour_tracker.domain.subscriber.model import ContactMethod


class NotificationStatus(StrEnum):
    PENDING = "pending"  # being sent, or the sender stopped before it knew the outcome
    SENT = "sent"  # the provider accepted it; `provider_id` says where to find it there
    FAILED = "failed"  # never to be sent; `reason` says why


@dataclass(frozen=True, slots=True)
class Notification:
    id: str
    event_id: str
    event_type: str
    birthing_person_id: str
    labour_id: str
    subscriber_id: str
    channel: ContactMethod
    destination: str  # the phone number or email address it goes to; empty once sent or failed
    status: NotificationStatus
    provider_id: str | None
    reason: str | None
    attempts: int  # calls made to the provider so far
    created_at: datetime
    updated_at: datetime

    @property
    def is_final(self) -> bool:
        """Sent or failed: nothing is ever sent for it again."""
        return self.status is not NotificationStatus.PENDING


def notification_id(event_id: str, subscriber_id: str, channel: ContactMethod) -> str:
    """The same id however often the event is redelivered or fanned out again: the key that makes sending once."""
    return str(uuid5(NAMESPACE_URL, f"labour-tracker:notification/{event_id}/{subscriber_id}/{channel.value}"))


def pending(
    *,
    id: str,
    event_id: str,
    event_type: str,
    birthing_person_id: str,
    labour_id: str,
    subscriber_id: str,
    channel: ContactMethod,
    destination: str,
    now: datetime,
) -> Notification:
    """A notification about to be sent for the first time."""
    return Notification(
        id=id,
        event_id=event_id,
        event_type=event_type,
        birthing_person_id=birthing_person_id,
        labour_id=labour_id,
        subscriber_id=subscriber_id,
        channel=channel,
        destination=destination,
        status=NotificationStatus.PENDING,
        provider_id=None,
        reason=None,
        attempts=0,
        created_at=now,
        updated_at=now,
    )


class NotificationClosed(Exception):
    """A sent or failed notification cannot change again."""


def _open(notification: Notification) -> Notification:
    if notification.is_final:
        raise NotificationClosed(f"notification {notification.id} is already {notification.status}")
    return notification


def attempted(notification: Notification, *, now: datetime) -> Notification:
    """One more call to the provider is about to be made."""
    return replace(_open(notification), attempts=notification.attempts + 1, updated_at=now)


# The destination is needed only to send: once sent or failed, the channel, the subscriber's id and the
# provider's id say enough of where it went, and the phone number or address is not kept.
NO_LONGER_KEPT = ""


def sent(notification: Notification, *, provider_id: str, now: datetime) -> Notification:
    return replace(
        _open(notification),
        status=NotificationStatus.SENT,
        provider_id=provider_id,
        reason=None,
        destination=NO_LONGER_KEPT,
        updated_at=now,
    )


def failed(notification: Notification, *, reason: str, now: datetime) -> Notification:
    return replace(
        _open(notification), status=NotificationStatus.FAILED, reason=reason, destination=NO_LONGER_KEPT, updated_at=now
    )
