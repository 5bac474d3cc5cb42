"""Notifications: one per (event, subscriber, channel), its words, and the life of its status.

Pure: ids are derived, texts are filled in, and each status change is a function of the notification and the
time it is given.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import ClassVar, Final
from uuid import NAMESPACE_URL, uuid5

from labour_tracker.domain.labour.events import (
    HospitalRecommended,
    LabourBegun,
    LabourCompleted,
    UrgentAttentionAdvised,
)
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
    destination: str  # the phone number or email address it goes to
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


# ---- Status transitions --------------------------------------------------------------------------------------


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


def sent(notification: Notification, *, provider_id: str, now: datetime) -> Notification:
    return replace(
        _open(notification), status=NotificationStatus.SENT, provider_id=provider_id, reason=None, updated_at=now
    )


def failed(notification: Notification, *, reason: str, now: datetime) -> Notification:
    return replace(_open(notification), status=NotificationStatus.FAILED, reason=reason, updated_at=now)


# ---- What happened, for the notification events topic -------------------------------------------------------


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


NotificationEvent = NotificationSent | NotificationFailed

EVENT_TYPES: Final[dict[str, type[NotificationEvent]]] = {
    event.TYPE: event for event in (NotificationSent, NotificationFailed)
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
    raise ValueError(f"notification {n.id} is still pending: it has no outcome yet")


# ---- The words --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Names:
    """Whose names go into a message: the subscriber it is for and the birthing person it is about."""

    subscriber: str
    first: str
    last: str


@dataclass(frozen=True, slots=True)
class Wording:
    subject: Callable[[Names], str]
    # Longest first: the first that fits one SMS segment is sent; the last if none does.
    texts: tuple[Callable[[Names], str], ...]


WORDINGS: Final[dict[str, Wording]] = {
    LabourBegun.TYPE: Wording(
        subject=lambda n: f"{n.first} {n.last} is going into labour",
        texts=(
            lambda n: f"{n.subscriber}, {n.first} {n.last} is going into labour",
            lambda n: f"{n.first} {n.last} is going into labour",
            lambda n: f"{n.first} is going into labour",
        ),
    ),
    HospitalRecommended.TYPE: Wording(
        subject=lambda n: f"Time to take {n.first} {n.last} to the hospital",
        texts=(
            lambda n: f"{n.subscriber}, it's time to take {n.first} {n.last} to the hospital",
            lambda n: f"It's time to take {n.first} {n.last} to the hospital",
            lambda n: f"It's time to take {n.first} to the hospital",
        ),
    ),
    UrgentAttentionAdvised.TYPE: Wording(
        subject=lambda n: f"Urgent: please check on {n.first} {n.last} now",
        texts=(
            lambda n: (
                f"{n.subscriber}, {n.first} {n.last}'s labour may need urgent attention. Please check on them now "
                "and call their midwife or maternity unit."
            ),
            lambda n: (
                f"{n.first} {n.last}'s labour may need urgent attention. Please check on them now and call their "
                "midwife."
            ),
            lambda n: f"{n.first}'s labour may need urgent attention. Please check on them now.",
        ),
    ),
    LabourCompleted.TYPE: Wording(
        subject=lambda n: f"{n.first} {n.last} has completed labour",
        texts=(
            lambda n: f"Hey {n.subscriber}, {n.first} {n.last} has completed labour",
            lambda n: f"{n.first} {n.last} has completed labour",
            lambda n: f"{n.first} has completed labour",
        ),
    ),
}

TRIGGERS: Final[frozenset[str]] = frozenset(WORDINGS)  # the event types subscribers are told about


def sms_text(event_type: str, names: Names) -> str:
    """The message for `event_type`, in one SMS segment where the names allow."""
    texts = [each(names) for each in WORDINGS[event_type].texts]
    return next((text for text in texts if sms_segments(text) == 1), texts[-1])


def subject(event_type: str, names: Names) -> str:
    return WORDINGS[event_type].subject(names)


def full_text(event_type: str, names: Names) -> str:
    """The longest wording, for email, where length does not matter."""
    return WORDINGS[event_type].texts[0](names)


# The GSM 03.38 basic character set; `^{}\[~]|€` are in its extension table and take two septets each.
GSM_BASIC: Final[frozenset[str]] = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED: Final[frozenset[str]] = frozenset("^{}\\[~]|€\f")


def sms_segments(text: str) -> int:
    """How many SMS segments `text` takes: GSM-7 (160, or 153 each when split) or UCS-2 (70, or 67 each)."""
    if all(char in GSM_BASIC or char in GSM_EXTENDED for char in text):
        units, single, each = sum(2 if char in GSM_EXTENDED else 1 for char in text), 160, 153
    else:
        units, single, each = sum(2 if ord(char) > 0xFFFF else 1 for char in text), 70, 67
    return 1 if units <= single else -(-units // each)


def masked(channel: ContactMethod, destination: str) -> str:
    """A destination fit for a log line: enough to tell two apart, never the whole number or address."""
    if channel is ContactMethod.SMS:
        return f"…{destination[-3:]}" if len(destination) > 6 else "…"
    local, _, domain = destination.partition("@")
    return f"{local[:1]}…@{domain}" if domain else "…"
