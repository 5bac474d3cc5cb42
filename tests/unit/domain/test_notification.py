"""A notification's id, words and status: what a subscriber reads, and what may never happen twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labour_tracker.domain import notification as n
from labour_tracker.domain.subscriber.model import ContactMethod

T0 = datetime(2025, 3, 14, 6, 0, tzinfo=UTC)
SAM = n.Names("Sam", "Bea", "Moyo")


def test_the_id_is_the_same_for_the_same_event_subscriber_and_channel_and_differs_otherwise() -> None:
    one = n.notification_id("e-1", "sam", ContactMethod.SMS)
    assert one == n.notification_id("e-1", "sam", ContactMethod.SMS)
    others = {
        n.notification_id("e-2", "sam", ContactMethod.SMS),
        n.notification_id("e-1", "kim", ContactMethod.SMS),
        n.notification_id("e-1", "sam", ContactMethod.EMAIL),
    }
    assert one not in others and len(others) == 3


def test_the_texts_say_what_the_spec_says_with_the_names_filled_in() -> None:
    assert n.sms_text("labour.begun", SAM) == "Sam, Bea Moyo is going into labour"
    assert n.sms_text("labour.hospital_recommended", SAM) == "Sam, it's time to take Bea Moyo to the hospital"
    assert n.sms_text("labour.completed", SAM) == "Hey Sam, Bea Moyo has completed labour"
    assert n.sms_text("labour.prepare_for_hospital_recommended", SAM) == (
        "Sam, get ready: Bea Moyo's contractions are regular and the hospital may be next"
    )
    urgent = n.sms_text("labour.urgent_attention_advised", SAM)
    assert urgent.startswith("Sam, Bea Moyo's labour may need urgent attention. Please check on them now")
    assert "!" not in urgent and urgent.upper() != urgent, "calm: no exclamation, no shouting"
    assert n.subject("labour.begun", SAM) == "Bea Moyo is going into labour"
    assert {
        "labour.begun",
        "labour.prepare_for_hospital_recommended",
        "labour.hospital_recommended",
        "labour.urgent_attention_advised",
        "labour.completed",
        "labour.update_posted",
    } == n.TRIGGERS


@given(
    st.sampled_from(sorted(n.TRIGGERS)),
    st.text(min_size=1, max_size=40),
    st.text(min_size=1, max_size=40),
    st.text(min_size=1, max_size=40),
)
def test_every_text_fits_one_segment_whenever_any_wording_can(event: str, sub: str, first: str, last: str) -> None:
    names = n.Names(sub, first, last)
    text = n.sms_text(event, names)
    fits = [each(names) for each in n.WORDINGS[event].texts if n.sms_segments(each(names)) == 1]
    assert text == (fits[0] if fits else n.WORDINGS[event].texts[-1](names))
    assert first in text


def test_long_names_fall_back_to_a_shorter_wording_rather_than_a_second_segment() -> None:
    long = n.Names("Maximilian-Alexander", "Bartholomew-Evangeline", "Featherstonehaugh-Cholmondeley")
    text = n.sms_text("labour.urgent_attention_advised", long)
    assert n.sms_segments(text) == 1
    assert not text.startswith("Maximilian"), "the subscriber's name is the first thing to go"


def test_segments_count_gsm_7_and_ucs_2_as_phones_do() -> None:
    assert n.sms_segments("a" * 160) == 1
    assert n.sms_segments("a" * 161) == 2
    assert n.sms_segments("a" * 306) == 2 and n.sms_segments("a" * 307) == 3
    assert n.sms_segments("€" * 80) == 1 and n.sms_segments("€" * 81) == 2  # two septets each
    assert n.sms_segments("Zoë" + "a" * 67) == 1 and n.sms_segments("Zoë" + "a" * 68) == 2


def a_pending() -> n.Notification:
    return n.pending(
        id="id-1",
        event_id="e-1",
        event_type="labour.begun",
        birthing_person_id="bea",
        labour_id="l-1",
        subscriber_id="sam",
        channel=ContactMethod.SMS,
        destination="+447700900123",
        now=T0,
    )


def test_a_notification_goes_from_pending_to_sent_or_failed_and_then_never_changes() -> None:
    started = n.attempted(a_pending(), now=T0 + timedelta(seconds=1))
    assert (started.status, started.attempts, started.is_final) == (n.NotificationStatus.PENDING, 1, False)
    done = n.sent(n.attempted(started, now=T0), provider_id="SM1", now=T0 + timedelta(seconds=2))
    assert (done.status, done.provider_id, done.attempts, done.updated_at) == (
        n.NotificationStatus.SENT,
        "SM1",
        2,
        T0 + timedelta(seconds=2),
    )
    assert done.created_at == T0
    refused = n.failed(started, reason="Twilio error 21211: invalid phone number (HTTP 400)", now=T0)
    assert refused.status is n.NotificationStatus.FAILED
    for closed in (done, refused):
        with pytest.raises(n.NotificationClosed):
            n.attempted(closed, now=T0)
        with pytest.raises(n.NotificationClosed):
            n.sent(closed, provider_id="SM2", now=T0)
        with pytest.raises(n.NotificationClosed):
            n.failed(closed, reason="again", now=T0)


def test_the_outcome_event_carries_the_ids_and_what_became_of_it() -> None:
    done = n.sent(a_pending(), provider_id="SM1", now=T0)
    assert n.outcome_event(done) == n.NotificationSent(
        "id-1", "e-1", "labour.begun", "bea", "l-1", "sam", ContactMethod.SMS, provider_id="SM1", attempts=0
    )
    refused = n.outcome_event(n.failed(a_pending(), reason="no", now=T0))
    assert isinstance(refused, n.NotificationFailed) and refused.reason == "no"
    with pytest.raises(ValueError, match="pending"):
        n.outcome_event(a_pending())
