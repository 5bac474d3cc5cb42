"""Resending a failed notification: only a failed one, not one the destination cap stopped, the next resend only,
and at most three."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from labour_tracker.domain import notification as n
from labour_tracker.domain.labour.model import Labour, LabourUpdate, Moment, Phase, UpdateKind
from labour_tracker.domain.subscriber.model import ContactMethod

T0 = datetime(2025, 3, 14, 6, 0, tzinfo=UTC)
FAILED, SENT, PENDING = n.NotificationStatus.FAILED, n.NotificationStatus.SENT, n.NotificationStatus.PENDING
UPDATE_POSTED, COMPLETED = "labour.update_posted", "labour.completed"


def a_notification(*, reason: str = "refused: 21211 invalid number") -> n.Notification:
    pending = n.pending(
        id=n.notification_id("e-1", "sam", ContactMethod.SMS),
        event_id="e-1",
        event_type="labour.begun",
        birthing_person_id="bea",
        labour_id="l-1",
        subscriber_id="sam",
        channel=ContactMethod.SMS,
        destination="+447700900123",
        now=T0,
    )
    return n.failed(n.attempted(pending, now=T0), reason=reason, now=T0)


def test_a_resend_has_an_id_of_its_own_the_same_each_time_it_is_asked_for() -> None:
    original = a_notification().id
    first = n.resend_id(original, 1)
    assert first == n.resend_id(original, 1)
    assert len({original, first, n.resend_id(original, 2), n.resend_id(original, 3)}) == 4


def test_only_a_failed_notification_not_stopped_by_the_destination_cap_is_resent() -> None:
    assert n.next_resend(FAILED, "refused: 21211", []) == 1
    assert n.next_resend(FAILED, "gave up after 6 attempts: 503", []) == 1
    assert n.next_resend(SENT, None, []) is n.ResendRefused.NOT_FAILED
    assert n.next_resend(PENDING, None, []) is n.ResendRefused.NOT_FAILED
    assert n.next_resend(n.NotificationStatus.UNDELIVERED, "undelivered", []) is n.ResendRefused.NOT_FAILED
    cap = "destination_cap_reached: 20 messages an hour"
    assert n.next_resend(FAILED, cap, []) is n.ResendRefused.DESTINATION_CAP


def test_another_resend_waits_for_the_latest_to_fail_and_there_are_at_most_three() -> None:
    refused = "refused: 21211"
    assert n.next_resend(FAILED, refused, [PENDING]) is n.ResendRefused.ALREADY_RESENT
    assert n.next_resend(FAILED, refused, [SENT]) is n.ResendRefused.ALREADY_RESENT
    assert n.next_resend(FAILED, refused, [FAILED]) == 2
    assert n.next_resend(FAILED, refused, [FAILED, FAILED]) == 3
    assert n.next_resend(FAILED, refused, [FAILED] * 3) is n.ResendRefused.RESEND_LIMIT_REACHED


def test_the_record_takes_the_next_resend_once_and_only_from_the_person_it_is_about() -> None:
    original = a_notification()
    later = T0 + timedelta(minutes=5)
    taken = n.resent(original, number=1, birthing_person_id="bea", now=later)
    assert taken is not None and taken.resends == 1 and taken.updated_at == later
    assert taken.status is FAILED, "the original stays failed: the resend is a notification of its own"
    assert n.resent(taken, number=1, birthing_person_id="bea", now=later) is None, "asked again: nothing more"
    assert n.resent(original, number=2, birthing_person_id="bea", now=later) is None, "out of turn"
    assert n.resent(original, number=1, birthing_person_id="someone-else", now=later) is None
    third = original
    for number in (1, 2, 3):
        resent = n.resent(third, number=number, birthing_person_id="bea", now=later)
        assert resent is not None
        third = resent
    assert n.resent(third, number=4, birthing_person_id="bea", now=later) is None


def test_the_record_refuses_a_notification_that_did_not_fail_or_that_the_cap_stopped() -> None:
    capped = a_notification(reason="destination_cap_reached: 20 messages an hour")
    assert n.resent(capped, number=1, birthing_person_id="bea", now=T0) is None
    pending = n.pending(
        id="x", event_id="e", event_type="labour.begun", birthing_person_id="bea", labour_id="l",
        subscriber_id="sam", channel=ContactMethod.SMS, destination="+447700900123", now=T0,
    )  # fmt: skip
    sent = n.sent(n.attempted(pending, now=T0), provider_id="SM1", now=T0)
    assert n.resent(sent, number=1, birthing_person_id="bea", now=T0) is None


def an_update(update_id: str, message: str | None, moment: Moment | None = None) -> LabourUpdate:
    return LabourUpdate(update_id, UpdateKind.ANNOUNCEMENT, message, "bea", T0, moment=moment)


TOLD = n.LabourNow(
    notes="a girl, 3.4 kg",
    updates=(
        an_update("u-1", "We're at the hospital now"),  # edited since it was first sent: its words now
        an_update("u-2", "Bea says: she's here!", Moment.BABY_BORN),  # a quick update with a message edited in
    ),
)


def test_a_resent_announcement_carries_its_message_as_it_reads_now() -> None:
    assert n.resend_words(UPDATE_POSTED, "u-1", TOLD) == n.ResendWords(note="We're at the hospital now")


def test_a_resent_quick_update_carries_its_moment_and_no_message() -> None:
    assert n.resend_words(UPDATE_POSTED, "u-2", TOLD) == n.ResendWords(moment=Moment.BABY_BORN)


def test_a_resent_completion_carries_the_labours_notes_now_or_none() -> None:
    assert n.resend_words(COMPLETED, None, TOLD) == n.ResendWords(note="a girl, 3.4 kg")
    assert n.resend_words(COMPLETED, None, n.LabourNow(None, ())) == n.ResendWords()


def test_news_whose_update_or_labour_was_deleted_is_withdrawn() -> None:
    withdrawn = n.ResendRefused.NEWS_WITHDRAWN
    assert n.resend_words(UPDATE_POSTED, "u-deleted", TOLD) is withdrawn
    assert n.resend_words(UPDATE_POSTED, "u-1", None) is withdrawn
    assert n.resend_words(COMPLETED, None, None) is withdrawn


def test_other_news_carries_no_words_whatever_became_of_its_labour() -> None:
    for event_type in ("labour.begun", "labour.hospital_recommended", "labour.urgent_attention_advised"):
        assert n.resend_words(event_type, None, TOLD) == n.ResendWords()
        assert n.resend_words(event_type, None, None) == n.ResendWords()


def test_an_announcement_recorded_before_notifications_named_their_update_is_resent_without_words() -> None:
    assert n.resend_words(UPDATE_POSTED, None, TOLD) == n.ResendWords()
    assert n.resend_words(UPDATE_POSTED, None, None) == n.ResendWords()


def test_the_words_of_a_labour_are_its_notes_and_updates() -> None:
    labour = Labour("l-1", True, T0, T0, Phase.COMPLETE, "a girl, 3.4 kg", (), frozenset(), updates=TOLD.updates)
    assert n.LabourNow.of(labour) == TOLD
