"""Whatever a birthing person is asked, in any order: their history rebuilds them and the rules hold."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from labour_tracker.domain.errors import DomainError
from labour_tracker.domain.labour import (
    AddContraction,
    AddSubscriber,
    BeginLabour,
    BirthingPerson,
    BirthingPersonCommand,
    BirthingPersonEvent,
    CancelPlan,
    CompleteLabour,
    DeleteContraction,
    EditContraction,
    EndContraction,
    HospitalRecommended,
    Labour,
    Phase,
    PlanLabour,
    RegisterBirthingPerson,
    RemoveSubscriber,
    RotateSubscriptionToken,
    StartContraction,
    SubscriptionTokenRotated,
    UndoContractionChange,
    UrgentAttentionAdvised,
    decide,
    evolve,
    replay,
)
from labour_tracker.domain.limits import PAST_LABOURS_KEPT

PERSON = "pat-sub"
START = datetime(2025, 6, 1, 0, 0, tzinfo=UTC)
SECRET = b"server-secret-for-tests-only-32b!"  # the server's subscription-token secret
# Repeats weight the draw towards contractions, so labours get far enough for the rules to fire.
KINDS = ["register", *["begin"] * 2, *["start"] * 4, *["end"] * 4, "complete", "rotate", "add", "remove",
         "edit", "delete", "add_missed", "undo", "plan", "cancel_plan"]  # fmt: skip


@dataclass(frozen=True)
class Step:
    """A command sent `wait` after the previous one; the time it gives, if any, is `offset` from then."""

    wait: timedelta
    kind: str
    offset: timedelta | None
    naive: bool
    first_labour: bool
    start_intensity: int | None
    intensity: int
    notes: str | None
    subscriber: str
    pick: int  # which contraction a correction is about, counted among the latest labour's
    lasting: timedelta
    due_in: timedelta  # a plan's due date, from the day of `now`
    name: str | None

    def command(self, now: datetime, state: BirthingPerson | None = None) -> BirthingPersonCommand:
        time = None if self.offset is None else now + self.offset
        if time is not None and self.naive:
            time = time.replace(tzinfo=None)
        match self.kind:
            case "register":
                return RegisterBirthingPerson(PERSON, "Pat", "Lee")
            case "begin":  # without `first_labour` at times: a plan's is taken, and without a plan it is refused
                return BeginLabour(None if self.pick % 3 == 0 else self.first_labour, start_time=time)
            case "start":
                return StartContraction(self.start_intensity, start_time=time, notes=self.notes)
            case "end":
                return EndContraction(self.intensity, end_time=time, notes=self.notes)
            case "complete":
                return CompleteLabour(end_time=time, notes=self.notes)
            case "rotate":
                return RotateSubscriptionToken()
            case "add":
                return AddSubscriber(self.subscriber)
            case "remove":
                return RemoveSubscriber(self.subscriber)
            case "edit":
                end = None if time is None else time + self.lasting
                return EditContraction(self.contraction_id(state), time, end, self.intensity, self.notes)
            case "delete":
                return DeleteContraction(self.contraction_id(state))
            case "plan":
                return PlanLabour((now + self.due_in).date(), self.first_labour, self.name)
            case "cancel_plan":
                return CancelPlan()
            case "add_missed":
                start = time or now - self.lasting * 3
                return AddContraction(start, start + self.lasting, self.intensity, self.notes)
            case _:
                return UndoContractionChange()

    def contraction_id(self, state: BirthingPerson | None) -> str:
        labour = state.latest_labour if state else None
        if labour is None or not labour.contractions:
            return "none-such"
        return labour.contractions[self.pick % len(labour.contractions)].id


steps = st.builds(
    Step,
    wait=st.integers(0, 240).map(lambda seconds: timedelta(seconds=seconds)),
    kind=st.sampled_from(KINDS),
    # Mostly "now"; otherwise back-dated or ahead, some of it past the allowed clock skew.
    offset=st.none() | st.none() | st.integers(-900, 90).map(lambda seconds: timedelta(seconds=seconds)),
    naive=st.integers(0, 19).map(lambda n: n == 0),
    first_labour=st.booleans(),
    start_intensity=st.none() | st.integers(0, 11),
    intensity=st.integers(0, 11),
    notes=st.none() | st.sampled_from(["calm", "sharp"]),
    subscriber=st.sampled_from(["sam-sub", "bea-sub"]),
    pick=st.integers(0, 50),
    lasting=st.integers(-10, 150).map(lambda seconds: timedelta(seconds=seconds)),
    # Mostly within the bounds, some of it past them either way.
    due_in=st.integers(-50, 310).map(lambda days: timedelta(days=days)),
    name=st.none() | st.sampled_from(["", "Baby Lee", "x" * 101, "tab\there"]),
)


def check_invariants(person: BirthingPerson) -> None:
    assert all(labour.end_time is not None for labour in person.past_labours), "only the latest may be active"
    ids = [labour.id for labour in person.past_labours] + ([person.latest_labour.id] if person.latest_labour else [])
    assert len(set(ids)) == len(ids)
    assert len(person.past_labours) <= PAST_LABOURS_KEPT
    if person.latest_labour is not None:
        check_labour(person.latest_labour)
    if person.plan is not None:
        assert person.active_labour is None, "a plan only while no labour is under way"
        assert person.plan.id not in ids, "a plan's labour has not begun"
        assert person.plan.name is None or 0 < len(person.plan.name) <= 100


def check_labour(labour: Labour) -> None:
    contractions = labour.contractions
    assert all(c.end_time is not None for c in contractions[:-1]), "at most one active contraction, the latest"
    assert len({c.id for c in contractions}) == len(contractions)
    previous_end = labour.start_time
    for contraction in contractions:
        assert contraction.start_time >= previous_end, "contractions start after the labour and each other"
        assert contraction.start_time.tzinfo is UTC
        assert contraction.intensity is None or 1 <= contraction.intensity <= 10
        if contraction.end_time is not None:
            assert contraction.end_time > contraction.start_time
            previous_end = contraction.end_time
    if labour.end_time is None:
        assert labour.phase is not Phase.COMPLETE
    else:
        assert labour.end_time >= previous_end, "a labour ends after it began and after its contractions"
        assert labour.phase is Phase.COMPLETE
        assert labour.active_contraction is None


def check_history(events: list[BirthingPersonEvent], person: BirthingPerson) -> None:
    alerts = Counter(
        (type(event), event.labour_id)
        for event in events
        if isinstance(event, HospitalRecommended | UrgentAttentionAdvised)
    )
    assert all(count == 1 for count in alerts.values()), "each alert at most once per labour"
    assert person.subscription_token_version == sum(isinstance(e, SubscriptionTokenRotated) for e in events)


@settings(max_examples=150, deadline=None)
@given(st.lists(steps, max_size=80))
def test_any_sequence_of_commands_keeps_the_rules_and_replays_to_the_same_state(plan: list[Step]) -> None:
    events = decide(
        None, RegisterBirthingPerson(PERSON, "Pat", "Lee"), now=START, command_id="register", subscription_secret=SECRET
    )
    state = replay(events)
    phases: dict[str, Phase] = {}
    now = START
    for number, step in enumerate(plan):
        now += step.wait
        command = step.command(now, state)
        try:
            new_events = decide(state, command, now=now, command_id=f"c{number}", subscription_secret=SECRET)
        except DomainError:
            continue  # refused: nothing happened
        assert decide(state, command, now=now, command_id=f"c{number}", subscription_secret=SECRET) == new_events, (
            "a retry decides the same"
        )
        for event in new_events:
            state = evolve(state, event)
        events += new_events
        assert state is not None
        check_invariants(state)
        for labour in filter(None, [state.latest_labour]):
            assert not labour.phase.is_before(phases.get(labour.id, Phase.EARLY)), "phases never move back"
            phases[labour.id] = labour.phase

    assert state is not None
    assert replay(events) == state
    check_history(events, state)


@settings(max_examples=150, deadline=None)
@given(
    first_labour=st.booleans(),
    spells=st.lists(
        st.tuples(st.integers(1, 25), st.integers(20, 150), st.integers(0, 240), st.integers(1, 10)),
        min_size=1,
        max_size=6,
    ),
)
def test_a_steady_labour_raises_each_alert_at_most_once_and_replays_exactly(
    first_labour: bool, spells: list[tuple[int, int, int, int]]
) -> None:
    """Spells of alike contractions (count, lasting, rest, intensity) push the phase and alert rules harder."""
    contractions = [(lasting, rest, intensity) for count, lasting, rest, intensity in spells for _ in range(count)]
    now = START
    commands: list[tuple[BirthingPersonCommand, datetime]] = [
        (RegisterBirthingPerson(PERSON, "Pat", "Lee"), now),
        (BeginLabour(first_labour), now),
    ]
    for lasting, rest, intensity in contractions:
        commands.append((StartContraction(), now))
        now += timedelta(seconds=lasting)
        commands.append((EndContraction(intensity), now))
        now += timedelta(seconds=rest)

    state: BirthingPerson | None = None
    events: list[BirthingPersonEvent] = []
    for number, (command, moment) in enumerate(commands):
        new_events = decide(state, command, now=moment, command_id=f"c{number}", subscription_secret=SECRET)
        for event in new_events:
            state = evolve(state, event)
        events += new_events

    assert state is not None
    check_invariants(state)
    check_history(events, state)
    assert replay(events) == state
    assert state.latest_labour is not None
    assert len(state.latest_labour.ended_contractions) == len(contractions)
