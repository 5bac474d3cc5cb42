"""What subscribers read of an announcement: the person's first name and their message, in one SMS segment (cut to
fit when it is longer) and in full by email; a quick update in the service's own words; never a status update or a
private note."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from labour_tracker.domain import notification as n
from labour_tracker.domain.labour import Moment

SAM = n.Names("Sam", "Bea", "Moyo")
POSTED = "labour.update_posted"


def test_only_announcements_are_news_of_all_the_updates() -> None:
    assert n.is_news(POSTED, "announcement")
    assert not n.is_news(POSTED, "status_update")
    assert not n.is_news(POSTED, "private_note")
    assert not n.is_news(POSTED, None)
    assert n.is_news("labour.begun") and not n.is_news("labour.update_edited", "announcement")


def test_an_announcement_is_the_first_name_and_the_message() -> None:
    assert n.sms_text(POSTED, SAM, "We're off to the hospital") == "Sam, news from Bea: We're off to the hospital"
    assert n.subject(POSTED, SAM) == "News from Bea Moyo"
    assert (
        n.full_text(POSTED, SAM, "Off we go!\nWill text later") == "Sam, news from Bea\n\nOff we go!\nWill text later"
    )


def test_a_message_too_long_for_one_segment_is_cut_at_a_word_with_an_ending_that_keeps_it_gsm() -> None:
    message = "The midwife says all is going well and we should be meeting the baby within a few hours now " * 3
    text = n.sms_text(POSTED, SAM, message)
    assert text.startswith("News from Bea: The midwife says all is going well")
    assert text.endswith("...") and not text.endswith(" ...")
    assert n.sms_segments(text) == 1 and len(text) > 150, "one GSM segment, nearly full"
    assert message.startswith(text.removeprefix("News from Bea: ").removesuffix("..."))


def test_a_unicode_message_is_cut_to_the_70_characters_of_a_unicode_segment() -> None:
    text = n.sms_text(POSTED, SAM, "💕 " * 60)
    assert n.sms_segments(text) == 1 and text.endswith("...")


@given(st.text(min_size=1, max_size=1_000), st.text(min_size=1, max_size=40))
def test_every_announcement_sms_is_one_segment_and_starts_with_its_words(message: str, first: str) -> None:
    names = n.Names("Sam", first, "Moyo")
    text = n.sms_text(POSTED, names, message)
    assert n.sms_segments(text) == 1
    assert text.startswith(f"Sam, news from {first}: ") or text.startswith(f"News from {first}")


def test_a_resent_announcement_goes_without_its_message() -> None:
    assert n.sms_text(POSTED, SAM) == "Sam, news from Bea"


def test_each_quick_update_has_its_own_words_in_one_segment() -> None:
    texts = {moment: n.sms_text(POSTED, SAM, moment=moment) for moment in Moment}
    assert texts == {
        Moment.WATERS_BROKEN: "Sam, Bea Moyo's waters have broken",
        Moment.ON_THE_WAY_TO_HOSPITAL: "Sam, Bea Moyo is on the way to the hospital",
        Moment.ARRIVED_AT_HOSPITAL: "Sam, Bea Moyo has arrived at the hospital",
        Moment.BABY_BORN: "Sam, Bea Moyo's baby is born!",
    }
    assert n.subject(POSTED, SAM, Moment.BABY_BORN) == "Bea Moyo's baby is born"
    assert n.full_text(POSTED, SAM, moment=Moment.ARRIVED_AT_HOSPITAL) == "Sam, Bea Moyo has arrived at the hospital"
    assert set(n.MOMENT_WORDINGS) == set(Moment)
