"""A notification: one per (event, subscriber, channel), and the life of its status from pending to sent or failed."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from uuid import NAMESPACE_URL, uuid5

from labour_tracker.domain.notification.masking import mask
from labour_tracker.domain.subscriber.model import ContactMethod


class NotificationStatus(StrEnum):
    PENDING = "pending"  # being sent, or the sender stopped before it knew the outcome
    SENT = "sent"  # the provider accepted it; `provider_id` says where to find it there
    FAILED = "failed"  # never to be sent; `reason` says why
    DELIVERED = "delivered"  # sent, and the provider reports it reached the phone (SMS); final
    UNDELIVERED = "undelivered"  # sent, and the provider reports it did not reach the phone (SMS)


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
    masked_destination: str = ""  # where it went, told without giving it away (`+44•••••••123`); kept
    resends: int = 0  # how many times the person it is about had it resent (each a notification of its own)
    update_id: str | None = None  # the update it told of (`labour.update_posted`): a resend finds its words now

    @property
    def is_final(self) -> bool:
        """Sent or failed (or reported on since it was sent): nothing is ever sent for it again."""
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
    update_id: str | None = None,
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
        masked_destination=mask(channel, destination),
        update_id=update_id,
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


# What the provider says became of a sent SMS (Twilio's `MessageStatus`), as the notification's status; the
# statuses it reports on the way (queued, sending, sent, …) change nothing.
PROVIDER_STATUSES: dict[str, NotificationStatus] = {
    "delivered": NotificationStatus.DELIVERED,
    "undelivered": NotificationStatus.UNDELIVERED,
    "failed": NotificationStatus.UNDELIVERED,  # the provider gave up on it after accepting it
}
# How far along a sent notification is: a report moves it forward only. Delivered is final; an undelivered one may
# still be reported delivered (a carrier's late receipt).
_PROGRESS = {NotificationStatus.SENT: 0, NotificationStatus.UNDELIVERED: 1, NotificationStatus.DELIVERED: 2}


def reported(notification: Notification, *, provider_id: str, provider_status: str, now: datetime) -> Notification:
    """The notification after its provider reported on it: unchanged unless the report is about this very message
    (its provider id), the notification was sent, and the report moves it forward."""
    becomes = PROVIDER_STATUSES.get(provider_status)
    current = _PROGRESS.get(notification.status)
    if becomes is None or current is None or notification.provider_id != provider_id:
        return notification
    if _PROGRESS[becomes] <= current:
        return notification  # the same report again, or one that came late: statuses never move back
    reason = (
        None if becomes is NotificationStatus.DELIVERED else f"undelivered: the provider reported {provider_status}"
    )
    return replace(notification, status=becomes, reason=reason, updated_at=now)


class FailureCode(StrEnum):
    """Why a notification failed or was undelivered, as a stable code (its reason says more, in words)."""

    DESTINATION_CAP_REACHED = "destination_cap_reached"  # withheld: the destination had its messages for the hour
    REFUSED = "refused"  # the provider refused it for good (an invalid number, a refused login)
    RETRIES_EXHAUSTED = "retries_exhausted"  # the provider failed every attempt
    DELIVERY_UNKNOWN = "delivery_unknown"  # interrupted while sending; not sent again, so it is sent at most once
    UNDELIVERED = "undelivered"  # sent, and the provider reported it did not arrive


def failure_code(status: NotificationStatus, reason: str | None) -> FailureCode | None:
    """The code of a failed or undelivered notification's reason; None for the others."""
    if status is NotificationStatus.UNDELIVERED:
        return FailureCode.UNDELIVERED
    if status is not NotificationStatus.FAILED:
        return None
    given = reason or ""
    for code, start in (
        (FailureCode.DESTINATION_CAP_REACHED, "destination_cap_reached"),
        (FailureCode.RETRIES_EXHAUSTED, "gave up after"),
        (FailureCode.DELIVERY_UNKNOWN, "delivery unknown"),
    ):
        if given.startswith(start):
            return code
    return FailureCode.REFUSED
