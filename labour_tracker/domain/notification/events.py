"""What became of a notification, as told on the notification events topic."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Final

from labour_tracker.domain.notification.model import Notification, NotificationStatus
from labour_tracker.domain.subscriber.model import ContactMethod


@dataclass(frozen=True, slots=True)
class NotificationSent:
    """The provider accepted the notification: SMS by Twilio, email in the mail relay's drop directory."""

    TYPE: ClassVar[str] = "notification.sent"
    notification_id: str
    event_id: str
    event_type: str
    birthing_person_id: str
    labour_id: str
    subscriber_id: str
    channel: ContactMethod
    provider_id: str
    attempts: int


@dataclass(frozen=True, slots=True)
class NotificationFailed:
    """The notification will not be sent; `reason` says why (permanent refusal, retries exhausted, or unknown)."""

    TYPE: ClassVar[str] = "notification.failed"
    notification_id: str
    event_id: str
    event_type: str
    birthing_person_id: str
    labour_id: str
    subscriber_id: str
    channel: ContactMethod
    reason: str
    attempts: int


@dataclass(frozen=True, slots=True)
class NotificationDelivered:
    """The provider reports that the sent SMS reached the phone (Twilio's delivery status callback)."""

    TYPE: ClassVar[str] = "notification.delivered"
    notification_id: str
    event_id: str
    event_type: str
    birthing_person_id: str
    labour_id: str
    subscriber_id: str
    channel: ContactMethod
    provider_id: str


@dataclass(frozen=True, slots=True)
class NotificationUndelivered:
    """The provider reports that the sent SMS did not reach the phone; it may be resent."""

    TYPE: ClassVar[str] = "notification.undelivered"
    notification_id: str
    event_id: str
    event_type: str
    birthing_person_id: str
    labour_id: str
    subscriber_id: str
    channel: ContactMethod
    provider_id: str
    reason: str


NotificationEvent = NotificationSent | NotificationFailed | NotificationDelivered | NotificationUndelivered

EVENT_TYPES: Final[dict[str, type[NotificationEvent]]] = {
    event.TYPE: event
    for event in (NotificationSent, NotificationFailed, NotificationDelivered, NotificationUndelivered)
}


def outcome_event(notification: Notification) -> NotificationEvent:
    """The event that tells the world how a sent or failed notification ended."""
    n = notification
    if n.status is NotificationStatus.SENT and n.provider_id is not None:
        return NotificationSent(
            n.id, n.event_id, n.event_type, n.birthing_person_id, n.labour_id, n.subscriber_id, n.channel,
            provider_id=n.provider_id, attempts=n.attempts,
        )  # fmt: skip
    if n.status is NotificationStatus.FAILED and n.reason is not None:
        return NotificationFailed(
            n.id, n.event_id, n.event_type, n.birthing_person_id, n.labour_id, n.subscriber_id, n.channel,
            reason=n.reason, attempts=n.attempts,
        )  # fmt: skip
    if n.status is NotificationStatus.DELIVERED and n.provider_id is not None:
        return NotificationDelivered(
            n.id, n.event_id, n.event_type, n.birthing_person_id, n.labour_id, n.subscriber_id, n.channel,
            provider_id=n.provider_id,
        )  # fmt: skip
    if n.status is NotificationStatus.UNDELIVERED and n.provider_id is not None and n.reason is not None:
        return NotificationUndelivered(
            n.id, n.event_id, n.event_type, n.birthing_person_id, n.labour_id, n.subscriber_id, n.channel,
            provider_id=n.provider_id, reason=n.reason,
        )  # fmt: skip
    raise ValueError(f"notification {n.id} is still pending: it has no outcome yet")
