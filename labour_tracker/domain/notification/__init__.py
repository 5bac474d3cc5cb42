"""Notifications: one per (event, subscriber, channel), its words, and the life of its status."""

from labour_tracker.domain.notification.events import (
    EVENT_TYPES,
    NotificationEvent,
    NotificationFailed,
    NotificationSent,
    outcome_event,
)
from labour_tracker.domain.notification.masking import masked
from labour_tracker.domain.notification.model import (
    Notification,
    NotificationClosed,
    NotificationStatus,
    attempted,
    failed,
    notification_id,
    pending,
    sent,
)
from labour_tracker.domain.notification.segments import GSM_BASIC, GSM_EXTENDED, sms_segments
from labour_tracker.domain.notification.wording import (
    TRIGGERS,
    WORDINGS,
    Names,
    Wording,
    full_text,
    sms_text,
    subject,
)

__all__ = [
    "EVENT_TYPES",
    "GSM_BASIC",
    "GSM_EXTENDED",
    "TRIGGERS",
    "WORDINGS",
    "Names",
    "Notification",
    "NotificationClosed",
    "NotificationEvent",
    "NotificationFailed",
    "NotificationSent",
    "NotificationStatus",
    "Wording",
    "attempted",
    "failed",
    "full_text",
    "masked",
    "notification_id",
    "outcome_event",
    "pending",
    "sent",
    "sms_segments",
    "sms_text",
    "subject",
]
