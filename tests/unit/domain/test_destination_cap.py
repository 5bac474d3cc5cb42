"""The cap on messages to one destination an hour: counted per destination, each notification once, on a clock the
caller gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from labour_tracker.domain.notification.destination import (
    DESTINATION_CAP_REACHED,
    MESSAGES_PER_DESTINATION_PER_HOUR,
    Admission,
    DestinationLog,
    Verdict,
    admit,
    destination_digest,
    messages_per_destination,
)
from labour_tracker.domain.subscriber.model import ContactMethod

T0 = datetime(2025, 3, 14, 6, 0, tzinfo=UTC)
SECRET = b"s" * 32
CAP = messages_per_destination(3)


def sent(log: DestinationLog, *times: datetime, prefix: str = "n") -> tuple[DestinationLog, list[Admission]]:
    """`log` after a message at each time, each a new notification; with the admissions."""
    admissions = []
    for index, moment in enumerate(times):
        admission = admit(log, f"{prefix}-{index}", moment, CAP)
        admissions.append(admission)
        log = admission.log
    return log, admissions


def test_messages_under_the_cap_are_admitted_and_counted() -> None:
    log, admissions = sent(DestinationLog("d"), T0, T0 + timedelta(minutes=1), T0 + timedelta(minutes=2))

    assert [each.verdict for each in admissions] == [Verdict.ADMITTED] * 3
    assert [each.notification_id for each in log.counted] == ["n-0", "n-1", "n-2"]


def test_the_message_past_the_cap_is_withheld_with_the_cap_as_its_reason_and_the_wait() -> None:
    log, _ = sent(DestinationLog("d"), T0, T0 + timedelta(minutes=10), T0 + timedelta(minutes=20))

    withheld = admit(log, "n-late", T0 + timedelta(minutes=30), CAP)

    assert withheld.verdict is Verdict.WITHHELD
    assert withheld.log == log, "a withheld message is not counted"
    assert withheld.refusal is not None and withheld.refusal.retry_after == 30 * 60  # when the first is an hour old
    assert withheld.reason is not None and withheld.reason.startswith(f"{DESTINATION_CAP_REACHED}: ")
    assert "3 messages an hour" in withheld.reason


def test_a_message_is_admitted_again_once_the_oldest_is_an_hour_old() -> None:
    log, _ = sent(DestinationLog("d"), T0, T0 + timedelta(minutes=10), T0 + timedelta(minutes=20))

    later = admit(log, "n-later", T0 + timedelta(hours=1, seconds=1), CAP)

    assert later.verdict is Verdict.ADMITTED
    assert [each.notification_id for each in later.log.counted] == ["n-1", "n-2", "n-later"]


def test_a_notification_delivered_again_is_counted_once_and_still_sent() -> None:
    log, _ = sent(DestinationLog("d"), T0, T0, T0)

    again = admit(log, "n-1", T0 + timedelta(minutes=5), CAP)

    assert again.verdict is Verdict.REPEATED
    assert again.log == log


def test_the_log_keeps_at_most_the_caps_worth_of_messages_within_the_hour() -> None:
    log, _ = sent(DestinationLog("d"), T0, T0 + timedelta(minutes=1))
    log, _ = sent(log, T0 + timedelta(hours=2), T0 + timedelta(hours=2), T0 + timedelta(hours=2), prefix="m")

    assert [each.notification_id for each in log.counted] == ["m-0", "m-1", "m-2"]


def test_with_no_cap_every_message_is_admitted_and_nothing_is_kept() -> None:
    log = DestinationLog("d")
    for index in range(50):
        admission = admit(log, f"n-{index}", T0, messages_per_destination(0))
        assert admission.verdict is Verdict.ADMITTED
        log = admission.log
    assert log.counted == ()


def test_a_real_family_is_never_stopped_by_the_default_cap() -> None:
    """A number that follows five persons whose labours all send their four messages within one hour, and asks for a
    confirmation code, is still under the default cap."""
    cap = messages_per_destination(MESSAGES_PER_DESTINATION_PER_HOUR)
    log = DestinationLog("d")
    for index in range(5 * 4):
        admission = admit(log, f"news-{index}", T0 + timedelta(minutes=index * 2), cap)
        assert admission.verdict is Verdict.ADMITTED, index
        log = admission.log
    assert admit(log, "one-more", T0 + timedelta(minutes=45), cap).verdict is Verdict.WITHHELD


@pytest.mark.parametrize(
    ("channel", "one", "other"),
    [
        (ContactMethod.SMS, "+447700900123", "+44 7700-900 123"),
        (ContactMethod.EMAIL, "Sam@Example.org", " sam@example.org"),
    ],
)
def test_spellings_of_one_destination_share_one_count(channel: ContactMethod, one: str, other: str) -> None:
    assert destination_digest(SECRET, channel, one) == destination_digest(SECRET, channel, other)


def test_the_digest_gives_no_destination_away_and_depends_on_the_secret() -> None:
    digest = destination_digest(SECRET, ContactMethod.SMS, "+447700900123")

    assert "447700900123" not in digest and len(digest) == 32
    assert digest != destination_digest(b"t" * 32, ContactMethod.SMS, "+447700900123")
    assert digest != destination_digest(SECRET, ContactMethod.SMS, "+447700900124")
    with pytest.raises(ValueError):
        destination_digest(b"", ContactMethod.SMS, "+447700900123")
