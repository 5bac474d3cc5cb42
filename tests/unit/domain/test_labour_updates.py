"""Stories of a labour's updates: announcements for subscribers (one every 10 minutes), status updates they may read,
private notes the person alone sees, and quick updates for common moments; edited and deleted on the latest labour,
bounded like notes, and rebuilt from the events alone."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labour_tracker.domain.errors import ErrorKind
from labour_tracker.domain.labour import (
    BeginLabour,
    BirthingPersonCommand,
    CompleteLabour,
    DeleteLabourUpdate,
    EditLabourUpdate,
    LabourUpdate,
    LabourUpdateDeleted,
    LabourUpdateEdited,
    LabourUpdatePosted,
    Moment,
    PostLabourUpdate,
    StartContraction,
    UpdateKind,
    replay,
    updates_for_followers,
)
from labour_tracker.domain.limits import (
    ANNOUNCEMENT_COOLDOWN,
    NOTE_BYTES,
    NOTES_BYTES_PER_LABOUR,
    UPDATE_MESSAGE_LENGTH,
    UPDATES_PER_LABOUR,
)
from tests.unit.domain.labour_story import ALICE, Story, at, in_labour, registered

ANNOUNCE = UpdateKind.ANNOUNCEMENT
STATUS = UpdateKind.STATUS_UPDATE
PRIVATE = UpdateKind.PRIVATE_NOTE


def posted(story: Story, kind: UpdateKind, message: str, minutes: float = 0) -> LabourUpdate:
    story.do(PostLabourUpdate(kind, message), now=at(minutes=minutes))
    return story.labour.updates[-1]


def test_an_announcement_is_posted_by_the_person_at_the_services_time() -> None:
    story = in_labour()

    events = story.do(PostLabourUpdate(ANNOUNCE, "We're off to the hospital"), now=at(minutes=5))

    update = story.labour.updates[0]
    assert events == [
        LabourUpdatePosted(ALICE, story.labour.id, update.id, ANNOUNCE, "We're off to the hospital", None, ALICE,
                           at(minutes=5))
    ]  # fmt: skip
    assert update == LabourUpdate(update.id, ANNOUNCE, "We're off to the hospital", ALICE, at(minutes=5))
    assert story.labour.announced_at == at(minutes=5)


def test_each_kind_is_kept_in_the_order_posted_and_only_announcements_start_the_cooldown() -> None:
    story = in_labour()
    posted(story, PRIVATE, "scared", minutes=1)
    posted(story, STATUS, "resting", minutes=2)

    assert [each.kind for each in story.labour.updates] == [PRIVATE, STATUS]
    assert story.labour.announced_at is None
    posted(story, ANNOUNCE, "waters gone", minutes=3)  # no announcement before: no wait
    assert [each.message for each in story.labour.updates] == ["scared", "resting", "waters gone"]


def test_a_second_announcement_within_the_cooldown_is_too_soon_with_the_seconds_left() -> None:
    story = in_labour()
    posted(story, ANNOUNCE, "first", minutes=1)

    refusal = story.refuses(PostLabourUpdate(ANNOUNCE, "second"), now=at(minutes=1 + 4, seconds=30))

    assert (refusal.kind, refusal.code) == (ErrorKind.TOO_MANY, "announcement_too_soon")
    assert refusal.retry_after == 5 * 60 + 30


def test_the_cooldown_ends_exactly_10_minutes_after_the_last_announcement() -> None:
    story = in_labour()
    posted(story, ANNOUNCE, "first", minutes=1)

    last_second = story.refuses(PostLabourUpdate(ANNOUNCE, "second"), now=at(minutes=1) + ANNOUNCEMENT_COOLDOWN
                                - timedelta(microseconds=1))  # fmt: skip
    assert (last_second.code, last_second.retry_after) == ("announcement_too_soon", 1)
    story.do(PostLabourUpdate(ANNOUNCE, "second"), now=at(minutes=1) + ANNOUNCEMENT_COOLDOWN)
    assert story.labour.announced_at == at(minutes=11)


def test_status_updates_and_private_notes_are_never_held_back_by_the_cooldown() -> None:
    story = in_labour()
    posted(story, ANNOUNCE, "first", minutes=1)
    posted(story, STATUS, "still going", minutes=2)
    posted(story, PRIVATE, "tired", minutes=2)
    assert len(story.labour.updates) == 3


def test_deleting_an_announcement_does_not_shorten_the_wait() -> None:
    story = in_labour()
    first = posted(story, ANNOUNCE, "first", minutes=1)
    story.do(DeleteLabourUpdate(first.id), now=at(minutes=2))

    assert story.refuses(PostLabourUpdate(ANNOUNCE, "again"), now=at(minutes=3)).code == "announcement_too_soon"


def test_a_quick_update_is_an_announcement_of_its_moment_without_personal_text() -> None:
    story = in_labour()

    story.do(PostLabourUpdate(moment=Moment.WATERS_BROKEN), now=at(minutes=1))

    update = story.labour.updates[0]
    assert (update.kind, update.moment, update.message) == (ANNOUNCE, Moment.WATERS_BROKEN, None)
    too_soon = story.refuses(PostLabourUpdate(moment=Moment.ON_THE_WAY_TO_HOSPITAL), now=at(minutes=5))
    assert too_soon.code == "announcement_too_soon"


@pytest.mark.parametrize(
    "command",
    [
        PostLabourUpdate(ANNOUNCE, "and my words", Moment.BABY_BORN),
        PostLabourUpdate(STATUS, None, Moment.BABY_BORN),
        PostLabourUpdate(PRIVATE, None, Moment.WATERS_BROKEN),
    ],
)
def test_a_quick_update_is_only_an_announcement_in_the_services_words(command: PostLabourUpdate) -> None:
    refusal = in_labour().refuses(command)
    assert (refusal.kind, refusal.code) == (ErrorKind.UNPROCESSABLE, "invalid_quick_update")


@pytest.mark.parametrize("message", [None, "", " ", "\n\t \r\n"])
def test_an_update_needs_a_message_that_is_not_blank(message: str | None) -> None:
    for kind in UpdateKind:
        assert in_labour().refuses(PostLabourUpdate(kind, message)).code == "update_message_required"


def test_a_message_of_several_lines_and_tabs_is_text() -> None:
    story = in_labour()
    assert posted(story, STATUS, "line one\n\tline two\r\n").message == "line one\n\tline two\r\n"


@pytest.mark.parametrize("junk", ["\x00", "\x07", "\x1b[2J", "\x7f", "\x85", "\ud800"])
def test_a_message_with_control_characters_or_a_lone_surrogate_is_no_text(junk: str) -> None:
    refusal = in_labour().refuses(PostLabourUpdate(STATUS, f"hello {junk}"))
    assert (refusal.kind, refusal.code) == (ErrorKind.UNPROCESSABLE, "note_not_text")


def test_a_message_is_bounded_in_characters_and_in_bytes() -> None:
    longest = "x" * UPDATE_MESSAGE_LENGTH.maximum
    story = in_labour()
    assert posted(story, PRIVATE, longest).message == longest
    too_many_characters = story.refuses(PostLabourUpdate(PRIVATE, longest + "x"))
    assert (too_many_characters.kind, too_many_characters.code) == (ErrorKind.UNPROCESSABLE, "update_message_too_long")
    wide = "€" * (NOTE_BYTES.maximum // 3 + 1)  # within the characters, past the bytes of a note
    assert len(wide) <= UPDATE_MESSAGE_LENGTH.maximum
    assert story.refuses(PostLabourUpdate(PRIVATE, wide)).code == "note_too_long"


def test_messages_count_with_the_labours_notes_against_their_bytes() -> None:
    story = in_labour()
    message = "m" * UPDATE_MESSAGE_LENGTH.maximum
    for _ in range(32):
        story.do(PostLabourUpdate(PRIVATE, message))
    last = posted(story, STATUS, "s" * (NOTES_BYTES_PER_LABOUR.maximum - 32 * len(message)))  # the labour's notes full

    assert story.refuses(PostLabourUpdate(STATUS, "x")).code == "notes_limit_reached"
    assert story.refuses(StartContraction(notes="a note")).code == "notes_limit_reached"
    assert story.refuses(EditLabourUpdate(last.id, last.message + "x")).code == "notes_limit_reached"  # type: ignore[operator]
    story.do(PostLabourUpdate(moment=Moment.BABY_BORN))  # the service's words take none of it
    story.do(EditLabourUpdate(last.id, "short"))
    posted(story, STATUS, "room again")


def test_a_labour_holds_at_most_its_cap_of_updates_and_quick_ones_count_too() -> None:
    story = in_labour()
    for number in range(UPDATES_PER_LABOUR.maximum):
        story.do(PostLabourUpdate(STATUS, f"{number}") if number % 2 else PostLabourUpdate(moment=Moment.BABY_BORN),
                 now=at(minutes=10 * number))  # fmt: skip

    refusal = story.refuses(PostLabourUpdate(PRIVATE, "one more"), now=at(minutes=2001))

    assert (refusal.kind, refusal.code) == (ErrorKind.INVALID, "update_limit_reached")
    assert len(story.labour.updates) == UPDATES_PER_LABOUR.maximum
    story.do(DeleteLabourUpdate(story.labour.updates[0].id), now=at(minutes=2002))
    posted(story, PRIVATE, "room again", minutes=2003)


def test_updates_are_posted_only_while_a_labour_is_under_way() -> None:
    assert registered().refuses(PostLabourUpdate(STATUS, "hello")).code == "labour_not_found"
    story = in_labour()
    story.do(CompleteLabour(), now=at(minutes=30))
    refusal = story.refuses(PostLabourUpdate(ANNOUNCE, "she's here"), now=at(minutes=31))
    assert (refusal.kind, refusal.code) == (ErrorKind.NOT_FOUND, "labour_not_found")


def test_an_edit_replaces_the_message_keeps_the_rest_and_says_when() -> None:
    story = in_labour()
    update = posted(story, ANNOUNCE, "at the hospital", minutes=1)

    events = story.do(EditLabourUpdate(update.id, "at the hospital, room 4"), now=at(minutes=3))

    assert events == [LabourUpdateEdited(ALICE, story.labour.id, update.id, "at the hospital, room 4", at(minutes=3))]
    assert story.labour.updates == (
        LabourUpdate(update.id, ANNOUNCE, "at the hospital, room 4", ALICE, at(minutes=1), at(minutes=3)),
    )
    assert story.labour.announced_at == at(minutes=1), "an edit is not a new announcement"


def test_an_edit_to_the_same_message_changes_nothing() -> None:
    story = in_labour()
    update = posted(story, STATUS, "resting")
    assert story.do(EditLabourUpdate(update.id, "resting"), now=at(minutes=2)) == []
    assert story.labour.updates[0].edited_at is None


def test_a_quick_update_may_have_a_message_edited_in_and_keeps_its_moment() -> None:
    story = in_labour()
    story.do(PostLabourUpdate(moment=Moment.BABY_BORN), now=at(minutes=1))
    story.do(EditLabourUpdate(story.labour.updates[0].id, "a girl, 3.2 kg"), now=at(minutes=2))
    assert (story.labour.updates[0].moment, story.labour.updates[0].message) == (Moment.BABY_BORN, "a girl, 3.2 kg")


def test_an_edit_keeps_the_message_rules() -> None:
    story = in_labour()
    update = posted(story, STATUS, "resting")
    assert story.refuses(EditLabourUpdate(update.id, "  ")).code == "update_message_required"
    assert story.refuses(EditLabourUpdate(update.id, "bad \x00")).code == "note_not_text"
    long = "x" * (UPDATE_MESSAGE_LENGTH.maximum + 1)
    assert story.refuses(EditLabourUpdate(update.id, long)).code == "update_message_too_long"


def test_updates_are_edited_and_deleted_after_the_labour_is_completed() -> None:
    story = in_labour()
    announcement = posted(story, ANNOUNCE, "she's coming", minutes=1)
    note = posted(story, PRIVATE, "scared", minutes=2)
    story.do(CompleteLabour(), now=at(minutes=60))

    story.do(EditLabourUpdate(announcement.id, "she's here"), now=at(minutes=61))
    events = story.do(DeleteLabourUpdate(note.id), now=at(minutes=62))

    assert events == [LabourUpdateDeleted(ALICE, story.labour.id, note.id, UpdateKind.PRIVATE_NOTE)]
    assert [(each.id, each.message) for each in story.labour.updates] == [(announcement.id, "she's here")]


def test_an_unknown_update_is_not_found_to_edit_or_delete() -> None:
    story = in_labour()
    posted(story, STATUS, "resting")
    for command in (EditLabourUpdate("no-such-update", "hello"), DeleteLabourUpdate("no-such-update")):
        refusal = story.refuses(command)
        assert (refusal.kind, refusal.code) == (ErrorKind.NOT_FOUND, "labour_update_not_found")


def test_an_update_of_an_earlier_labour_is_not_found_in_the_next() -> None:
    story = in_labour()
    earlier = posted(story, STATUS, "first labour", minutes=1)
    story.do(CompleteLabour(), now=at(minutes=30))
    story.do(BeginLabour(first_labour=False), now=at(minutes=40))

    assert story.labour.updates == ()
    assert story.refuses(EditLabourUpdate(earlier.id, "hello"), now=at(minutes=41)).code == "labour_update_not_found"
    assert story.refuses(DeleteLabourUpdate(earlier.id), now=at(minutes=41)).code == "labour_update_not_found"


def test_a_deleted_update_is_gone_and_a_second_delete_is_not_found() -> None:
    story = in_labour()
    update = posted(story, STATUS, "resting")
    story.do(DeleteLabourUpdate(update.id))
    assert story.labour.updates == ()
    assert story.refuses(DeleteLabourUpdate(update.id)).code == "labour_update_not_found"


def test_without_a_labour_there_is_no_update_to_edit_or_delete() -> None:
    assert registered().refuses(DeleteLabourUpdate("u-1")).code == "labour_not_found"
    assert registered().refuses(EditLabourUpdate("u-1", "hi")).code == "labour_not_found"


def test_a_command_id_used_again_for_another_update_is_refused() -> None:
    story = in_labour()
    posted(story, STATUS, "once")
    story.commands_sent -= 1  # the next command reuses the last one's id
    assert story.refuses(PostLabourUpdate(STATUS, "twice")).code == "command_already_applied"


def test_followers_see_announcements_and_status_updates_but_never_private_notes() -> None:
    story = in_labour()
    posted(story, ANNOUNCE, "at the hospital", minutes=1)
    posted(story, PRIVATE, "scared", minutes=2)
    posted(story, STATUS, "resting", minutes=3)
    story.do(PostLabourUpdate(moment=Moment.BABY_BORN), now=at(minutes=20))

    seen = updates_for_followers(story.labour.updates)

    assert [(each.kind, each.message) for each in seen] == [
        (ANNOUNCE, "at the hospital"),
        (STATUS, "resting"),
        (ANNOUNCE, None),
    ]
    assert all(each.kind is not PRIVATE for each in seen)


# ---- Any sequence of posts, edits and deletes: the state the events rebuild is the state decided ------------------

steps = st.lists(
    st.one_of(
        st.tuples(st.just("post"), st.sampled_from(UpdateKind), st.sampled_from(["hi", "á\nb", "x" * 900])),
        st.tuples(st.just("quick"), st.sampled_from(Moment)),
        st.tuples(st.just("edit"), st.integers(0, 9), st.sampled_from(["edited", "hi", "\ttabbed"])),
        st.tuples(st.just("delete"), st.integers(0, 9)),
        st.tuples(st.just("complete")),
    ),
    max_size=40,
)


def command(story: Story, step: tuple[object, ...]) -> BirthingPersonCommand | None:
    updates = story.labour.updates
    match step:
        case ("post", UpdateKind() as kind, str(message)):
            return PostLabourUpdate(kind, message)
        case ("quick", Moment() as moment):
            return PostLabourUpdate(moment=moment)
        case ("edit", int(index), str(message)):
            return EditLabourUpdate(updates[index % len(updates)].id, message) if updates else None
        case ("delete", int(index)):
            return DeleteLabourUpdate(updates[index % len(updates)].id) if updates else None
        case ("complete",):
            return CompleteLabour()
    raise AssertionError(step)


@settings(max_examples=60, deadline=None)
@given(steps, st.lists(st.sampled_from([0.5, 3, 11]), min_size=40, max_size=40))
def test_any_posts_edits_and_deletes_are_rebuilt_by_replaying_their_events(
    drawn: list[tuple[object, ...]], gaps: list[float]
) -> None:
    story = in_labour()
    minutes = 0.0
    kept: dict[str, LabourUpdate] = {}  # what the person should see, by id, from what was accepted
    for step, gap in zip(drawn, gaps, strict=False):
        minutes += gap
        chosen = command(story, step)
        if chosen is None:
            continue
        try:
            events = story.do(chosen, now=at(minutes=minutes))
        except Exception as refused:
            assert getattr(refused, "code", None) in {
                "announcement_too_soon",
                "labour_not_found",
                "notes_limit_reached",
            }
            continue
        for event in events:
            if isinstance(event, LabourUpdatePosted):
                kept[event.update_id] = story.labour.updates[-1]
            elif isinstance(event, LabourUpdateEdited):
                kept[event.update_id] = next(each for each in story.labour.updates if each.id == event.update_id)
            elif isinstance(event, LabourUpdateDeleted):
                kept.pop(event.update_id)

    assert replay(story.events) == story.state
    assert {each.id: each for each in story.labour.updates} == kept
    announced = [each.posted_at for each in story.labour.updates if each.kind is ANNOUNCE]
    assert all(later - earlier >= ANNOUNCEMENT_COOLDOWN for earlier, later in pairwise(announced))
    assert set(updates_for_followers(story.labour.updates)) == {
        each for each in story.labour.updates if each.kind is not PRIVATE
    }
