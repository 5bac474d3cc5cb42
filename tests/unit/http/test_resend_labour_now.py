"""Which labour a resend finds its words in: the latest from the person's record, an earlier one from the mirror
(the record keeps only its summary), none once the person deleted it (before the mirror does) or it is another's."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from labour_tracker.domain.labour import BeginLabour, CompleteLabour, DeleteLabour, LabourUpdate, PostLabourUpdate
from labour_tracker.http.resends import labour_now
from labour_tracker.mirror.reads import LabourHeading
from tests.unit.domain.labour_story import ALICE, T0, Story, in_labour


class MirrorHolding:
    """The mirror's reads of labours and their updates, holding the rows given."""

    def __init__(self, headings: list[LabourHeading], updates: dict[str, list[LabourUpdate]]) -> None:
        self.headings = {each.id: each for each in headings}
        self.held_updates = updates

    async def labour(self, connection: Any, labour_id: str) -> LabourHeading | None:
        return self.headings.get(labour_id)

    async def updates(self, connection: Any, labour_id: str) -> list[LabourUpdate]:
        return self.held_updates.get(labour_id, [])


def two_labours() -> tuple[Story, str, LabourUpdate]:
    """A person whose first labour, completed with a note and an announcement, has a newer one after it."""
    story = in_labour()
    story.do(PostLabourUpdate(message="all going well"))
    first, announcement = story.labour.id, story.labour.updates[0]
    story.do(CompleteLabour(notes="a girl"), now=T0 + timedelta(hours=2))
    story.do(BeginLabour(first_labour=False), now=T0 + timedelta(days=400))
    return story, first, announcement


def heading(labour_id: str, person_id: str = ALICE, notes: str | None = "a girl") -> LabourHeading:
    return LabourHeading(person_id, labour_id, True, None, T0, T0 + timedelta(hours=2), "complete", notes, ())


async def test_the_latest_labour_is_read_from_the_persons_record() -> None:
    story = in_labour()
    story.do(PostLabourUpdate(message="all going well"))
    found = await labour_now(MirrorHolding([], {}), None, story.person, story.labour.id)  # type: ignore[arg-type]
    assert found is not None and [each.message for each in found.updates] == ["all going well"]


async def test_an_earlier_labour_is_read_from_the_mirror() -> None:
    story, first, announcement = two_labours()
    reads = MirrorHolding([heading(first)], {first: [announcement]})
    found = await labour_now(reads, None, story.person, first)  # type: ignore[arg-type]
    assert found is not None and (found.notes, found.updates) == ("a girl", (announcement,))


async def test_a_labour_the_person_deleted_is_gone_though_the_mirror_still_holds_it() -> None:
    story, first, announcement = two_labours()
    story.do(DeleteLabour(first))
    reads = MirrorHolding([heading(first)], {first: [announcement]})
    assert await labour_now(reads, None, story.person, first) is None  # type: ignore[arg-type]


async def test_another_persons_labour_is_not_read() -> None:
    story, first, announcement = two_labours()
    reads = MirrorHolding([heading(first, person_id="someone-else")], {first: [announcement]})
    assert await labour_now(reads, None, story.person, first) is None  # type: ignore[arg-type]
