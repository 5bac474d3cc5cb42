"""Stories at the limits: what one person may keep is bounded, and each refusal names the limit it met."""

from __future__ import annotations

from datetime import timedelta

import pytest

from labour_tracker.domain.errors import ErrorKind
from labour_tracker.domain.labour import (
    AddSubscriber,
    AuthoriseSubscriber,
    BeginLabour,
    CompleteLabour,
    EndContraction,
    StartContraction,
)
from labour_tracker.domain.limits import (
    CONTRACTIONS_PER_LABOUR,
    NOTE_BYTES,
    NOTES_BYTES_PER_LABOUR,
    PAST_LABOURS_KEPT,
    SUBSCRIBERS_PER_PERSON,
)
from labour_tracker.domain.subscription_token import subscription_token
from tests.unit.domain.labour_story import ALICE, SECRET, at, in_labour

EMOJI = "\N{BABY}"  # four bytes in UTF-8
FULL_NOTE = EMOJI * (NOTE_BYTES.maximum // 4)
DAY = 24 * 60  # minutes


def test_a_note_is_measured_in_bytes_not_characters() -> None:
    story = in_labour()

    error = story.refuses(StartContraction(notes=EMOJI * (NOTE_BYTES.maximum // 4 + 1)), now=at(minutes=1))

    assert (error.kind, error.code) == (ErrorKind.UNPROCESSABLE, "note_too_long")
    assert "2,000 bytes" in error.description
    story.do(StartContraction(notes=FULL_NOTE), now=at(minutes=1))
    assert story.labour.contractions[-1].notes == FULL_NOTE


@pytest.mark.parametrize("control", ["\x00", "\x1b", "\x7f", "\u0085"])
def test_a_note_with_control_characters_is_refused_but_tabs_and_line_breaks_are_text(control: str) -> None:
    story = in_labour()

    error = story.refuses(StartContraction(notes=f"waters{control}broke"), now=at(minutes=1))

    assert (error.kind, error.code) == (ErrorKind.UNPROCESSABLE, "note_not_text")
    story.do(StartContraction(notes="waters broke\r\n\tat home"), now=at(minutes=1))


def test_a_note_that_is_no_text_is_refused() -> None:
    story = in_labour()

    error = story.refuses(EndContraction(5, notes="\ud800"), now=at(minutes=1))

    assert error.code == "note_not_text"


def test_the_notes_of_one_labour_stop_at_their_total_and_an_end_note_replaces_the_start_note() -> None:
    story = in_labour()
    fits = NOTES_BYTES_PER_LABOUR.maximum // NOTE_BYTES.maximum  # 16 full notes
    for number in range(fits):
        story.do(StartContraction(notes=FULL_NOTE), now=at(minutes=4 * number))
        story.do(EndContraction(5, notes=FULL_NOTE), now=at(minutes=4 * number + 1))  # replaces, adds nothing
    rest = "x" * (NOTES_BYTES_PER_LABOUR.maximum - fits * NOTE_BYTES.maximum)
    story.do(StartContraction(notes=rest), now=at(minutes=90))
    story.do(EndContraction(5), now=at(minutes=91))

    error = story.refuses(StartContraction(notes="x"), now=at(minutes=100))

    assert (error.kind, error.code) == (ErrorKind.INVALID, "notes_limit_reached")
    story.do(StartContraction(), now=at(minutes=100))  # without a note it goes on
    story.refuses(EndContraction(5, notes="x"), now=at(minutes=101))
    story.do(EndContraction(5), now=at(minutes=101))
    assert story.refuses(CompleteLabour(notes="x"), now=at(minutes=102)).code == "notes_limit_reached"


def test_a_labour_stops_taking_contractions_at_its_limit_and_can_still_be_completed() -> None:
    story = in_labour()
    story.regular_contractions(
        CONTRACTIONS_PER_LABOUR.maximum,
        first_start=at(minutes=1),
        every=timedelta(minutes=2),
        lasting=timedelta(seconds=60),
    )
    later = at(minutes=1 + 2 * CONTRACTIONS_PER_LABOUR.maximum)

    error = story.refuses(StartContraction(), now=later)

    assert (error.kind, error.code) == (ErrorKind.INVALID, "contraction_limit_reached")
    assert "1,000 contractions" in error.description
    story.do(CompleteLabour(), now=later)
    assert story.labour.end_time == later


def test_a_person_keeps_summaries_of_their_latest_labours_only() -> None:
    story = in_labour()
    for number in range(PAST_LABOURS_KEPT + 3):
        story.contraction(at(minutes=DAY * number + 5), timedelta(seconds=70))
        story.do(CompleteLabour(), now=at(minutes=DAY * number + 30))
        story.do(BeginLabour(first_labour=False), now=at(minutes=DAY * (number + 1)))

    past = story.person.past_labours
    assert len(past) == PAST_LABOURS_KEPT
    assert [each.start_time for each in past] == [at(minutes=DAY * n) for n in range(3, PAST_LABOURS_KEPT + 3)]
    assert {each.contraction_count for each in past} == {1}
    assert story.labour.contractions == ()  # the new labour holds nothing of the ones before


def test_a_begin_reusing_the_command_id_of_a_remembered_past_labour_is_refused() -> None:
    story = in_labour()  # its BeginLabour went as command-2
    story.do(CompleteLabour(), now=at(minutes=30))
    story.do(BeginLabour(first_labour=False), now=at(minutes=DAY))
    story.do(CompleteLabour(), now=at(minutes=DAY + 30))
    story.commands_sent = 1  # the next command goes as command-2 again

    error = story.refuses(BeginLabour(first_labour=False), now=at(minutes=2 * DAY))

    assert error.code == "command_already_applied"


def test_subscribers_stop_at_the_limit_and_one_already_following_is_still_authorised() -> None:
    story = in_labour()
    for number in range(SUBSCRIBERS_PER_PERSON.maximum):
        story.follows(f"follower-{number}")
    token = subscription_token(SECRET, ALICE, 0)

    error = story.refuses(AuthoriseSubscriber("one-too-many", token))

    assert (error.kind, error.code) == (ErrorKind.INVALID, "subscriber_limit_reached")
    assert story.refuses(AuthoriseSubscriber("stranger", "wrong-token")).code == "invalid_subscription_token"
    assert story.refuses(AddSubscriber("one-too-many")).code == "subscriber_limit_reached"
    story.do(AuthoriseSubscriber("follower-0", token))
