"""A person's record stays under its budget however much they write: every field at its maximum, every limit
reached, and any sequence of commands at the limits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from labour_tracker.domain.errors import DomainError
from labour_tracker.domain.labour import (
    AddSubscriber,
    Alert,
    ApproveFollowRequest,
    BeginLabour,
    BirthingPerson,
    BirthingPersonCommand,
    CompleteLabour,
    Contraction,
    ContractionChange,
    EndContraction,
    Labour,
    LabourPlan,
    LabourUpdate,
    Moment,
    PastLabour,
    Phase,
    PlanLabour,
    PostLabourUpdate,
    RegisterBirthingPerson,
    Role,
    StartContraction,
    UpdateKind,
    decide,
    evolve,
)
from labour_tracker.domain.labour.decide import LABOUR_NAME_LENGTH
from labour_tracker.domain.limits import (
    BLOCKED_PER_PERSON,
    CONTRACTIONS_PER_LABOUR,
    DELETED_LABOURS_KEPT,
    NOTE_BYTES,
    NOTES_BYTES_PER_LABOUR,
    PAST_LABOURS_KEPT,
    RECORD_BUDGET,
    SUBSCRIBERS_PER_PERSON,
    SUBSCRIPTIONS_PER_SUBSCRIBER,
    UPDATES_PER_LABOUR,
)
from labour_tracker.domain.subscriber import ContactMethod, Subscriber
from labour_tracker.messages.envelopes import MAX_AGGREGATE_ID_LENGTH, RECENT_COMMANDS, ErrorBody, Outcome
from labour_tracker.messages.sealing import new_key
from labour_tracker.tables.records import AggregateRecord, RecordCodec

T0 = datetime(2026, 3, 1, 0, 0, 0, 123456, tzinfo=UTC)
WIDE = "\N{BABY}"  # the most bytes a character takes in UTF-8
ESCAPED = '"'  # one byte of text, two in JSON: the most a note's allowed characters grow
LONGEST_ID = WIDE * MAX_AGGREGATE_ID_LENGTH
LONGEST_NAME = WIDE * LABOUR_NAME_LENGTH
UUID = "6bde03fc-403a-4281-9fb7-9895133b00c4"


def worst_labour() -> Labour:
    """A labour with every contraction it may hold, each note at its maximum until the labour's notes are full."""
    note = ESCAPED * NOTE_BYTES.maximum
    notes_left = NOTES_BYTES_PER_LABOUR.maximum
    contractions = []
    for number in range(CONTRACTIONS_PER_LABOUR.maximum):
        taken = note[: min(NOTE_BYTES.maximum, notes_left)] or None
        notes_left -= len(taken or "")
        start = T0 + timedelta(minutes=2 * number)
        contractions.append(Contraction(UUID, start, start + timedelta(seconds=59, microseconds=999999), 10, taken))
    noted = Contraction(UUID, T0, T0 + timedelta(seconds=59), 10, ESCAPED * NOTE_BYTES.maximum)  # an undo holds two
    last_change = ContractionChange(noted, noted, T0)
    # The notes are full: every update is a quick one, posted by someone of the longest id, and edited.
    update = LabourUpdate(UUID, UpdateKind.STATUS_UPDATE, None, LONGEST_ID, T0, T0, Moment.ON_THE_WAY_TO_HOSPITAL)
    return Labour(
        UUID, True, T0, None, Phase.TRANSITION, None, tuple(contractions), frozenset(Alert), last_change, LONGEST_NAME,
        (update,) * UPDATES_PER_LABOUR.maximum, T0,
    )  # fmt: skip


def worst_outcome(number: int) -> Outcome:
    return Outcome(
        command_id="c" * 128,
        command_type="birthing_person.authorise_subscriber",
        aggregate_id=LONGEST_ID,
        status="rejected",
        version=2**40 + number,
        event_ids=(UUID,) * 4,
        error=ErrorBody(kind="unprocessable", code="record_too_large", description="Refused: " + "x" * 200),
        time=T0,
    )


FOLLOWERS = frozenset(f"{number:03}" + WIDE * 252 for number in range(SUBSCRIBERS_PER_PERSON.maximum))


def worst_record() -> AggregateRecord[BirthingPerson]:
    person = BirthingPerson(
        id=LONGEST_ID,
        first_name=WIDE * 200,
        last_name=WIDE * 200,
        latest_labour=worst_labour(),
        past_labours=tuple(PastLabour(UUID, True, T0, T0, 10_000) for _ in range(PAST_LABOURS_KEPT)),
        subscribers=FOLLOWERS,
        subscription_token_version=2**62,
        blocked=frozenset(f"{number:03}" + WIDE * 252 for number in range(BLOCKED_PER_PERSON.maximum)),
        deleted_labours=(LONGEST_ID,) * DELETED_LABOURS_KEPT,
        plan=LabourPlan(UUID, date(2026, 12, 31), True, LONGEST_NAME),  # the next, planned while the latest ended
        # Followers and requests share one cap: every follower, and none asking, each named twice as a friend.
        friends_and_family=FOLLOWERS,
        approve_followers_at_once=True,
    )
    outcomes = tuple(worst_outcome(number) for number in range(RECENT_COMMANDS))
    return AggregateRecord(person, version=2**62, processed=outcomes, last_command=(1023, 2**62), data_key=new_key())


WORST_SIZE = len(RecordCodec(BirthingPerson).dumps(worst_record()))


def test_the_worst_record_the_limits_allow_fits_its_budget() -> None:
    record = worst_record()

    size = len(RecordCodec(BirthingPerson).dumps(record))

    assert size <= RECORD_BUDGET, f"{size:,} bytes, over the budget of {RECORD_BUDGET:,}"
    assert size > RECORD_BUDGET // 2  # it is the worst case: a record this test builds wrongly fits far below


SECRET = b"server-secret-for-tests-only-32b!"
notes = st.none() | st.sampled_from(["short", ESCAPED * NOTE_BYTES.maximum, WIDE * (NOTE_BYTES.maximum // 4)])
# Each step is a run of the same thing done many times, so that a few steps reach every limit.
steps = st.one_of(
    st.tuples(st.just("contractions"), st.integers(1, 1200), notes, notes),
    st.tuples(st.just("complete"), notes),
    st.tuples(st.just("begin"), st.booleans()),
    st.tuples(st.just("subscribers"), st.integers(1, 80)),
    st.tuples(st.just("friends"), st.integers(1, 80)),
    st.tuples(st.just("plan"), st.booleans()),
    st.tuples(st.just("updates"), st.integers(1, 250), notes, st.sampled_from(UpdateKind)),
)


def commands(step: tuple[object, ...], number: int) -> list[BirthingPersonCommand]:
    match step:
        case ("contractions", int(count), start_notes, end_notes):
            return [
                each
                for _ in range(count)
                for each in (StartContraction(10, notes=start_notes), EndContraction(10, notes=end_notes))  # type: ignore[arg-type]
            ]
        case ("complete", closing_notes):
            return [CompleteLabour(notes=closing_notes)]  # type: ignore[arg-type]
        case ("begin", bool(first)):
            return [BeginLabour(first_labour=first)]
        case ("plan", bool(first)):
            return [PlanLabour((T0 + timedelta(days=200)).date(), first, LONGEST_NAME)]
        case ("updates", int(count), message, UpdateKind() as kind):
            return [
                PostLabourUpdate(kind, message) if message else PostLabourUpdate(moment=Moment.BABY_BORN)  # type: ignore[arg-type]
                for _ in range(count)
            ]
        case ("subscribers", int(count)):  # asking to follow
            return [AddSubscriber(f"{number}-{n:03}" + WIDE * 248) for n in range(count)]
        case ("friends", int(count)):  # asking, then approved as friends and family
            return [
                each
                for n in range(count)
                for name in [f"{number}-f{n:03}" + WIDE * 247]
                for each in (AddSubscriber(name), ApproveFollowRequest(name, Role.FRIENDS_AND_FAMILY))
            ]
    raise AssertionError(step)


@settings(max_examples=25, deadline=None)
@given(st.lists(steps, min_size=1, max_size=12))
def test_any_commands_at_the_limits_keep_the_record_within_its_budget(drawn: list[tuple[object, ...]]) -> None:
    register = RegisterBirthingPerson(LONGEST_ID, WIDE * 200, WIDE * 200)
    state = evolve(None, decide(None, register, now=T0, command_id="c0", subscription_secret=SECRET)[0])
    record: AggregateRecord[BirthingPerson] = AggregateRecord(state, 1)
    now, number = T0, 0
    for index, step in enumerate(drawn):
        for command in commands(step, index):
            number += 1
            now += timedelta(seconds=61)
            try:
                events = decide(state, command, now=now, command_id=f"c{number}", subscription_secret=SECRET)
            except DomainError:
                events = []
            for event in events:
                state = evolve(state, event)
            record = record.after(state, record.version + len(events), worst_outcome(number))
    size = len(RecordCodec(BirthingPerson).dumps(record))
    assert size <= RECORD_BUDGET
    assert size <= WORST_SIZE, "a record larger than the worst case above: that test misses a way to grow"


def test_a_subscriber_following_the_most_persons_each_with_its_own_channels_fits_the_budget() -> None:
    followed = [f"{number:03}" + WIDE * 252 for number in range(SUBSCRIPTIONS_PER_SUBSCRIBER.maximum)]
    subscriber = Subscriber(
        id=LONGEST_ID,
        first_name=WIDE * 200,
        last_name=WIDE * 200,
        phone_number=WIDE * 64,
        email=WIDE * 320,
        contact_methods=frozenset(ContactMethod),
        subscribed_to=frozenset(followed),
        confirmed=frozenset(ContactMethod),
        codes_sent=(T0,) * 3,
        subscription_contact_methods={person: frozenset(ContactMethod) for person in followed},
    )
    outcomes = tuple(worst_outcome(number) for number in range(RECENT_COMMANDS))
    record = AggregateRecord(
        subscriber, version=2**62, processed=outcomes, last_command=(1023, 2**62), data_key=new_key()
    )

    size = len(RecordCodec(Subscriber).dumps(record))

    assert size <= RECORD_BUDGET, f"{size:,} bytes, over the budget of {RECORD_BUDGET:,}"
