"""Notifications: one per (event, subscriber, channel), its words, and the life of its status."""

from labour_tracker.domain.notification.events import (
    EVENT_TYPES,
    NotificationEvent,
    NotificationFailed,
    NotificationSent,
    outcome_event,
)
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
    CODE_SUBJECT,
    CONFIRMATION_CODE,
    MESSAGE_TYPES,
    TRIGGERS,
    WORDINGS,
    Names,
    Wording,
    code_text,
    full_text,
    sms_text,
    subject,
)

__all__ = [
    "CODE_SUBJECT",
    "CONFIRMATION_CODE",
    "EVENT_TYPES",
    "GSM_BASIC",
    "GSM_EXTENDED",
    "MESSAGE_TYPES",
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
    "code_text",
    "failed",
    "full_text",
    "notification_id",
    "outcome_event",
    "pending",
    "sent",
    "sms_segments",
    "sms_text",
    "subject",
]
