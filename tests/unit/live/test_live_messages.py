"""The birthing person's live follow-up, through the command handler with the real decider: one bounded live
message per accepted command, views of what changed, private notes for the person alone, followers cut off."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from labour_tracker.agents.live import live_publications
from labour_tracker.domain.limits import NOTE_BYTES
from labour_tracker.engine.handler import CommandHandler
from labour_tracker.messages.live import LiveMessage
from tests.fakes.commands import PERSON
from tests.fakes.faust_parts import MemoryTable, MemoryTopic, handled_through, message
from tests.unit.agents.test_notifications import fit

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


class Person:
    """Bea's commands taken by a handler whose follow-ups are the live messages."""

    def __init__(self) -> None:
        self.live = MemoryTopic()
        self.handler = CommandHandler(
            PERSON, MemoryTable(), MemoryTopic(), MemoryTopic(), MemoryTopic(),  # type: ignore[arg-type]
            clock=lambda: NOW, follow_ups=lambda state, events: live_publications(self.live, state, events),  # type: ignore[arg-type]
        )  # fmt: skip
        self.offset = 0

    async def do(self, command_type: str, **data: Any) -> list[LiveMessage]:
        self.live.sent.clear()
        value = json.dumps({"id": f"c-{self.offset}", "type": command_type, "aggregate_id": "bea", "data": data})
        await handled_through(
            self.handler, "bea", value.encode(), message(timestamp=NOW.timestamp(), offset=self.offset)
        )
        self.offset += 1
        return [LiveMessage.model_validate_json(value) for _, value in self.live.sent]


async def in_labour() -> Person:
    bea = Person()
    await bea.do("birthing_person.register", first_name="Bea", last_name="Moyo")
    await bea.do("birthing_person.add_subscriber", subscriber_id="sam")
    await bea.do("labour.begin", first_labour=True, start_time=(NOW - timedelta(hours=1)).isoformat())
    return bea


async def test_each_accepted_command_publishes_one_live_message_keyed_by_the_person_with_its_versions() -> None:
    bea = await in_labour()
    [started] = await bea.do("contraction.start", intensity=5, start_time=(NOW - timedelta(minutes=2)).isoformat())
    [ended] = await bea.do("contraction.end", intensity=7, notes="long one")

    assert [key for key, _ in bea.live.sent] == ["bea"]
    assert (started.first_version, started.version) == (4, 4)
    assert ended.first_version == 5
    [event, *_] = ended.events
    assert (event.name, event.version, event.followers) == ("contraction", 5, True)
    assert event.data["contraction"]["notes"] == "long one"
    assert event.data["contraction"]["end_time"] is not None
    assert event.data["summary"]["contraction_count"] == 1
    assert fit("LiveMessage", json.loads(bea.live.sent[0][1])) == []


async def test_a_private_note_is_marked_for_the_person_alone_and_an_announcement_for_everyone() -> None:
    bea = await in_labour()
    [note] = await bea.do("labour.post_update", kind="private_note", message="just for me")
    [announced] = await bea.do("labour.post_update", kind="announcement", message="going well")

    assert [(each.name, each.followers) for each in note.events] == [("update", False)]
    assert note.events[0].data["update"]["message"] == "just for me"
    assert [(each.name, each.followers) for each in announced.events] == [("update", True)]


async def test_a_deleted_private_note_is_told_to_the_person_alone_and_a_deleted_announcement_to_everyone() -> None:
    bea = await in_labour()
    [note] = await bea.do("labour.post_update", kind="private_note", message="just for me")
    [announced] = await bea.do("labour.post_update", kind="announcement", message="going well")
    [note_deleted] = await bea.do("labour.delete_update", update_id=note.events[0].data["update_id"])
    [announcement_deleted] = await bea.do("labour.delete_update", update_id=announced.events[0].data["update_id"])

    assert [(each.name, each.followers, each.data["update"]) for each in note_deleted.events] == [
        ("update", False, None)
    ]
    assert [(each.name, each.followers, each.data["update"]) for each in announcement_deleted.events] == [
        ("update", True, None)
    ]


async def test_a_removed_or_blocked_follower_is_named_as_cut_off_and_an_erasure_ends_every_stream() -> None:
    bea = await in_labour()
    [removed] = await bea.do("birthing_person.remove_follower", subscriber_id="sam", block=True)
    assert removed.cut_off == ("sam",)
    assert not removed.erased

    [erased] = await bea.do("birthing_person.erase")
    assert erased.erased


async def test_a_refused_command_publishes_no_live_message() -> None:
    bea = await in_labour()
    assert await bea.do("contraction.end", intensity=7) == []


async def test_a_live_message_stays_small_however_long_the_labour() -> None:
    bea = await in_labour()
    for n in range(40):
        start = NOW - timedelta(minutes=50 - n)
        await bea.do("contraction.start", intensity=6, start_time=start.isoformat(), notes="n" * 500)
        [ended] = await bea.do("contraction.end", intensity=6, end_time=(start + timedelta(seconds=40)).isoformat())
    assert len(bea.live.sent[0][1]) < 4 * 1024, "a view of what changed, never the whole labour"
    assert ended.events[0].data["summary"]["contraction_count"] == 40


async def test_a_live_message_of_the_largest_notes_and_several_events_stays_far_under_a_kafka_message() -> None:
    bea = await in_labour()
    note = "é" * (NOTE_BYTES.maximum // 2)  # the largest note, in two-byte characters
    largest = 0
    for n in range(6):  # long, strong contractions: the phase moves and alerts are raised along the way
        start = NOW - timedelta(minutes=50 - 8 * n)
        await bea.do("contraction.start", intensity=9, start_time=start.isoformat(), notes=note)
        await bea.do("contraction.end", intensity=9, end_time=(start + timedelta(minutes=3)).isoformat(), notes=note)
        largest = max(largest, len(bea.live.sent[0][1]))
    assert largest < 16 * 1024, "8 KiB as measured: the contraction and its alert or phase, each with the summary"
