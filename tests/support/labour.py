"""A birthing person's labour driven through the API, contraction by contraction at explicit times, with what the
service must have kept of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.api import Caller, Response, iso

NOTE_BYTES = 2_000  # the most one contraction's notes may hold
PROSE_NOTE = ("Breathing through it, walking the hall, water and dates. " * 40)[:NOTE_BYTES]
EVERY = timedelta(minutes=3)  # from one contraction's start to the next's
LASTING = timedelta(minutes=1)


def utf8(notes: str | None) -> int:
    return 0 if notes is None else len(notes.encode())


@dataclass
class Labour:
    """A person's labour begun three days ago, with contractions at explicit times in the past: each a minute long,
    one every three minutes, so each starts after the one before ended (1,000 of them take 50 hours)."""

    caller: Caller
    began: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0) - timedelta(days=3))
    kept: list[str | None] = field(default_factory=list)  # the notes of each accepted contraction, as kept
    active: bool = False

    async def begin(self) -> None:
        assert (await self.caller.post("/birthing-person/register")).status == 201
        begun = await self.caller.post("/labour/begin", {"first_labour": True, "start_time": iso(self.began)})
        assert begun.status == 200, begun.body

    def start_time(self, index: int) -> datetime:
        return self.began + timedelta(minutes=1) + index * EVERY

    async def start(self, notes: str | None = None) -> Response:
        body: dict[str, Any] = {"intensity": 5, "start_time": iso(self.start_time(len(self.kept)))}
        if notes is not None:
            body["notes"] = notes
        answer = await self.caller.post("/labour/contraction/start", body)
        if answer.status == 200:
            self.kept.append(notes)
            self.active = True
        return answer

    async def end(self, notes: str | None = None) -> Response:
        body: dict[str, Any] = {"intensity": 5, "end_time": iso(self.start_time(len(self.kept) - 1) + LASTING)}
        if notes is not None:
            body["notes"] = notes
        answer = await self.caller.put("/labour/contraction/end", body)
        if answer.status == 200:
            self.active = False
            if notes is not None:
                self.kept[-1] = notes
        return answer

    @property
    def notes_bytes(self) -> int:
        return sum(map(utf8, self.kept))

    async def assert_intact(self) -> None:
        """The labour as the service holds it: every accepted contraction, at its times, with its notes."""
        active = await self.caller.get("/labour/active")
        assert active.status == 200, active.body
        contractions = active.body["labour"]["contractions"]
        assert len(contractions) == len(self.kept)
        assert [c["notes"] for c in contractions] == self.kept
        starts = [datetime.fromisoformat(c["start_time"]) for c in contractions]
        assert starts == [self.start_time(n) for n in range(len(self.kept))]
        ended = [c["end_time"] is not None for c in contractions]
        assert ended == [True] * (len(ended) - self.active) + [False] * self.active
