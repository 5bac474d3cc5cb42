"""A birthing person's story told command by command, as the agent will tell it: decide, then evolve."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from labour_tracker.domain.errors import DomainError
from labour_tracker.domain.labour import (
    AddSubscriber,
    ApproveFollowRequest,
    BeginLabour,
    BirthingPerson,
    BirthingPersonCommand,
    BirthingPersonEvent,
    EndContraction,
    Labour,
    RegisterBirthingPerson,
    Role,
    StartContraction,
    decide,
    evolve,
)
from labour_tracker.domain.limits import LABOURS_PER_DAY

ALICE = "alice-sub"
T0 = datetime(2025, 3, 14, 6, 0, tzinfo=UTC)
SECRET = b"server-secret-for-tests-only-32b!"  # the server's subscription-token secret


def at(minutes: float = 0, seconds: float = 0) -> datetime:
    """A moment on the morning of the story, `minutes` and `seconds` after it starts."""
    return T0 + timedelta(minutes=minutes, seconds=seconds)


def types(events: Sequence[BirthingPersonEvent]) -> list[str]:
    return [event.TYPE for event in events]


class Story:
    """Applies commands one after another, remembering every event; each command gets a fresh id."""

    def __init__(self, labours_per_day: int = LABOURS_PER_DAY) -> None:
        self.labours_per_day = labours_per_day
        self.state: BirthingPerson | None = None
        self.events: list[BirthingPersonEvent] = []
        self.now = T0
        self.commands_sent = 0

    def next_command_id(self) -> str:
        return f"command-{self.commands_sent + 1}"

    def do(self, command: BirthingPersonCommand, *, now: datetime | None = None) -> list[BirthingPersonEvent]:
        self.now = now or self.now
        events = decide(
            self.state,
            command,
            now=self.now,
            command_id=self.next_command_id(),
            subscription_secret=SECRET,
            labours_per_day=self.labours_per_day,
        )
        self.commands_sent += 1
        for event in events:
            self.state = evolve(self.state, event)
        self.events.extend(events)
        return events

    def follows(self, subscriber_id: str, role: Role = Role.BIRTH_PARTNER) -> list[BirthingPersonEvent]:
        """The subscriber subscribes (a follow request) and the person approves them in `role`."""
        return self.do(AddSubscriber(subscriber_id)) + self.do(ApproveFollowRequest(subscriber_id, role))

    def refuses(self, command: BirthingPersonCommand, *, now: datetime | None = None) -> DomainError:
        before = self.state
        with pytest.raises(DomainError) as refusal:
            self.do(command, now=now)
        assert self.state == before
        return refusal.value

    @property
    def person(self) -> BirthingPerson:
        assert self.state is not None
        return self.state

    @property
    def labour(self) -> Labour:
        """The latest labour, under way or not."""
        assert self.person.latest_labour is not None
        return self.person.latest_labour

    def contraction(self, start: datetime, lasting: timedelta, intensity: int = 5) -> list[BirthingPersonEvent]:
        """Starts a contraction at `start` and ends it `lasting` later; the events of both."""
        return self.do(StartContraction(), now=start) + self.do(EndContraction(intensity), now=start + lasting)

    def regular_contractions(
        self, count: int, *, first_start: datetime, every: timedelta, lasting: timedelta, intensity: int = 5
    ) -> list[BirthingPersonEvent]:
        events: list[BirthingPersonEvent] = []
        for number in range(count):
            events += self.contraction(first_start + number * every, lasting, intensity)
        return events


def registered(labours_per_day: int = LABOURS_PER_DAY) -> Story:
    story = Story(labours_per_day)
    story.do(RegisterBirthingPerson(ALICE, "Alice", "Moyo"))
    return story


def in_labour(*, first_labour: bool = True, now: datetime = T0) -> Story:
    story = registered()
    story.do(BeginLabour(first_labour=first_labour), now=now)
    return story
