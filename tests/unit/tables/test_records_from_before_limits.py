"""Records written before a person's record was bounded (every labour, every note) load, in today's shape, and
the person's next command stores that shape, however large the old record was."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from labour_tracker.domain.labour import BirthingPerson, PastLabour
from labour_tracker.domain.limits import NOTES_BYTES_PER_LABOUR, PAST_LABOURS_KEPT, RECORD_BUDGET, note_bytes
from labour_tracker.engine.handler import CommandHandler
from labour_tracker.mirror.rows import read_change
from labour_tracker.tables.records import RecordCodec
from tests.fakes.commands import PERSON, command
from tests.fakes.faust_parts import MemoryTable, MemoryTopic, handled_through, message

T0 = datetime(2026, 1, 1, tzinfo=UTC)
LONG_NOTE = "\N{BABY}" * 2000  # what a note could hold before: 2,000 characters, 8,000 bytes


def stamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def old_labour(number: int, contractions: int, *, ended: bool) -> dict[str, Any]:
    began = T0 + timedelta(days=30 * number)
    return {
        "id": f"l{number}",
        "first_labour": number == 0,
        "start_time": stamp(began),
        "end_time": stamp(began + timedelta(days=1)) if ended else None,
        "phase": "complete" if ended else "active",
        "notes": "all well" if ended else None,
        "contractions": [
            {
                "id": f"l{number}-c{n}",
                "start_time": stamp(began + timedelta(minutes=3 * n)),
                "end_time": stamp(began + timedelta(minutes=3 * n, seconds=70)),
                "intensity": 6,
                "notes": f"{n}:{LONG_NOTE}",
            }
            for n in range(contractions)
        ],
        "alerts": [],
    }


def old_record() -> bytes:
    """A person with 14 labours, the latest under way with 150 contractions noted at length: over 1 MB."""
    labours = [old_labour(n, 20, ended=True) for n in range(13)] + [old_labour(13, 150, ended=False)]
    state = {
        "id": "p1",
        "first_name": "Ada",
        "last_name": "L",
        "labours": labours,
        "subscribers": ["s1"],
        "subscription_token_version": 2,
    }
    return json.dumps({"state": state, "version": 600, "processed": [], "last_command": [0, 700]}).encode()


def test_a_record_too_large_to_write_again_loads_as_its_latest_labour_and_summaries_within_the_limits() -> None:
    raw = old_record()
    assert len(raw) > 1024 * 1024

    record = RecordCodec(BirthingPerson).loads(raw)

    person = record.state
    assert (record.version, person.subscribers, person.subscription_token_version) == (600, {"s1"}, 2)
    assert person.active_labour is not None and person.active_labour.id == "l13"
    assert len(person.active_labour.contractions) == 150  # every contraction stays; the oldest notes make room
    kept = [each.notes for each in person.active_labour.contractions if each.notes is not None]
    assert kept == [f"{n}:{LONG_NOTE}" for n in range(146, 150)]  # the newest notes that fit
    assert sum(map(note_bytes, kept)) <= NOTES_BYTES_PER_LABOUR.maximum
    assert len(person.past_labours) == PAST_LABOURS_KEPT
    assert person.past_labours[-1] == PastLabour("l12", False, T0 + timedelta(days=360), T0 + timedelta(days=361), 20)
    assert len(RecordCodec(BirthingPerson).dumps(record)) <= RECORD_BUDGET


def test_the_mirror_reads_a_record_from_before_as_the_table_does() -> None:
    change = read_change("birthing_persons", b"p1", old_record(), T0, "changelog", 0, 5)

    assert change is not None and change.version == 600
    assert change.state == RecordCodec(BirthingPerson).loads(old_record()).state


async def test_the_next_command_of_a_person_from_before_stores_the_bounded_record() -> None:
    table = MemoryTable()
    table["p1"] = RecordCodec(BirthingPerson).loads(old_record())
    handler = CommandHandler(PERSON, table, MemoryTopic(), MemoryTopic(), MemoryTopic(), clock=lambda: NOW)  # type: ignore[arg-type]

    reply = await handled_through(handler, "p1", START, message(timestamp=NOW.timestamp(), offset=701))

    assert reply is not None and reply["outcome"]["status"] == "accepted"
    (_, _, stored) = table.changelog[-1]
    assert len(stored.state.active_labour.contractions) == 151
    assert len(table.value_serializer.dumps(stored)) <= RECORD_BUDGET


NOW = T0 + timedelta(days=400)
START = command("c-next", "contraction.start", {"intensity": 4})
