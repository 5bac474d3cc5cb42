"""A sent SMS moves on as its provider reports: to delivered or undelivered, forward only; delivered is final."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from labour_tracker.domain import notification as n
from labour_tracker.domain.subscriber.model import ContactMethod

T0 = datetime(2025, 3, 14, 6, 0, tzinfo=UTC)
LATER = T0 + timedelta(seconds=30)
SID = "SM" + "1" * 32


def a_notification(channel: ContactMethod = ContactMethod.SMS, destination: str = "+447700900123") -> n.Notification:
    return n.pending(
        id="n-1", event_id="e-1", event_type="labour.begun", birthing_person_id="bea", labour_id="l-1",
        subscriber_id="sam", channel=channel, destination=destination, now=T0,
    )  # fmt: skip


def a_sent_sms() -> n.Notification:
    return n.sent(n.attempted(a_notification(), now=T0), provider_id=SID, now=T0)


def test_a_new_notification_keeps_its_destination_masked_after_the_destination_is_cleared() -> None:
    created = a_notification()
    assert created.masked_destination == "+44•••••••123"
    assert created.destination == "+447700900123"
    done = n.sent(created, provider_id=SID, now=T0)
    assert done.destination == "" and done.masked_destination == "+44•••••••123"
    gone = n.failed(a_notification(ContactMethod.EMAIL, "sam@example.org"), reason="refused", now=T0)
    assert gone.destination == "" and gone.masked_destination == "s•••@example.org"


@pytest.mark.parametrize(
    ("provider_status", "becomes"),
    [
        ("delivered", n.NotificationStatus.DELIVERED),
        ("undelivered", n.NotificationStatus.UNDELIVERED),
        ("failed", n.NotificationStatus.UNDELIVERED),
        ("sent", n.NotificationStatus.SENT),
        ("queued", n.NotificationStatus.SENT),
        ("something new", n.NotificationStatus.SENT),
    ],
)
def test_a_report_moves_a_sent_sms_to_delivered_or_undelivered(provider_status: str, becomes: str) -> None:
    after = n.reported(a_sent_sms(), provider_id=SID, provider_status=provider_status, now=LATER)
    assert after.status == becomes
    assert (after.updated_at == LATER) is (becomes != n.NotificationStatus.SENT)


def test_delivered_is_final_and_the_same_report_again_changes_nothing() -> None:
    delivered = n.reported(a_sent_sms(), provider_id=SID, provider_status="delivered", now=LATER)
    for status in ("delivered", "undelivered", "failed", "sent", "queued"):
        assert n.reported(delivered, provider_id=SID, provider_status=status, now=LATER + timedelta(1)) is delivered


def test_an_undelivered_sms_may_still_be_reported_delivered_but_never_sent_again() -> None:
    undelivered = n.reported(a_sent_sms(), provider_id=SID, provider_status="undelivered", now=LATER)
    assert undelivered.reason == "undelivered: the provider reported undelivered"
    assert n.reported(undelivered, provider_id=SID, provider_status="sent", now=LATER) is undelivered
    assert n.reported(undelivered, provider_id=SID, provider_status="failed", now=LATER) is undelivered
    delivered = n.reported(undelivered, provider_id=SID, provider_status="delivered", now=LATER)
    assert delivered.status is n.NotificationStatus.DELIVERED and delivered.reason is None


def test_a_report_about_another_message_or_an_unsent_notification_changes_nothing() -> None:
    sent = a_sent_sms()
    assert n.reported(sent, provider_id="SM" + "2" * 32, provider_status="delivered", now=LATER) is sent
    pending = a_notification()
    assert n.reported(pending, provider_id=SID, provider_status="delivered", now=LATER) is pending
    failed = n.failed(pending, reason="Twilio error 21211: invalid phone number (HTTP 400)", now=T0)
    assert n.reported(failed, provider_id=SID, provider_status="delivered", now=LATER) is failed


def test_delivered_and_undelivered_are_announced_as_events() -> None:
    delivered = n.reported(a_sent_sms(), provider_id=SID, provider_status="delivered", now=LATER)
    assert isinstance(n.outcome_event(delivered), n.NotificationDelivered)
    undelivered = n.reported(a_sent_sms(), provider_id=SID, provider_status="undelivered", now=LATER)
    event = n.outcome_event(undelivered)
    assert isinstance(event, n.NotificationUndelivered) and event.provider_id == SID


@pytest.mark.parametrize(
    ("reason", "code"),
    [
        ("destination_cap_reached: at most 20 messages an hour", n.FailureCode.DESTINATION_CAP_REACHED),
        ("gave up after 6 attempts: Twilio answered HTTP 500", n.FailureCode.RETRIES_EXHAUSTED),
        ("delivery unknown: interrupted while sending", n.FailureCode.DELIVERY_UNKNOWN),
        ("Twilio error 21211: invalid phone number (HTTP 400)", n.FailureCode.REFUSED),
    ],
)
def test_a_failure_has_a_stable_code(reason: str, code: n.FailureCode) -> None:
    assert n.failure_code(n.NotificationStatus.FAILED, reason) is code
    assert n.failure_code(n.NotificationStatus.SENT, None) is None
    assert n.failure_code(n.NotificationStatus.UNDELIVERED, "undelivered: …") is n.FailureCode.UNDELIVERED
