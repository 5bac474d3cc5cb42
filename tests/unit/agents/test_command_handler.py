"""The command handler: redelivered commands, and commands decided before the one before them is stored."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from labour_tracker.agents.command_handler import Aggregate, CommandHandler
from labour_tracker.domain import labour
from labour_tracker.messages.birthing_person import COMMANDS
from labour_tracker.tables.records import RECENT_COMMANDS
from tests.fakes.faust_parts import MemoryTable, MemoryTopic, handled_through, message

PERSON: Aggregate[Any, Any, Any] = Aggregate(
    name="birthing_person",
    commands=COMMANDS,
    decide=lambda state, command, now, command_id: labour.decide(
        state, command, now=now, command_id=command_id, subscription_secret=b"secret"
    ),
    evolve=labour.evolve,
)


def command(command_id: str, command_type: str, data: dict[str, Any]) -> bytes:
    return json.dumps({"id": command_id, "type": command_type, "aggregate_id": "p1", "data": data}).encode()


async def test_a_redelivered_command_publishes_the_same_events_however_late_it_comes_again() -> None:
    sent = datetime(2026, 11, 26, 9, 0, 0, 123000, tzinfo=UTC)
    clock = [sent + timedelta(milliseconds=40)]
    table, events = MemoryTable(), MemoryTopic()
    handler = CommandHandler(PERSON, table, events, MemoryTopic(), MemoryTopic(), clock=lambda: clock[0])  # type: ignore[arg-type]
    register = command("c1", "birthing_person.register", {"first_name": "Ada", "last_name": "L"})
    await handled_through(handler, "p1", register, message(timestamp=sent.timestamp()))
    begin = command("c2", "labour.begin", {"first_labour": True})
    await handler.handle("p1", begin, message(timestamp=sent.timestamp(), offset=1))
    first = events.json()[-1]

    # The crash: the events were published, the record of c2 was never stored; the worker restarted.
    restarted = CommandHandler(PERSON, table, events, MemoryTopic(), MemoryTopic(), clock=lambda: clock[0])  # type: ignore[arg-type]
    clock[0] += timedelta(seconds=12)  # and the command comes again
    await handled_through(restarted, "p1", begin, message(timestamp=sent.timestamp(), offset=1))
    assert events.json()[-1] == first
    assert first[1]["data"]["start_time"] == "2026-11-26T09:00:00.123000Z"


async def test_a_send_time_in_the_future_is_taken_as_now() -> None:
    now = datetime(2026, 11, 26, 9, tzinfo=UTC)
    events = MemoryTopic()
    handler = CommandHandler(PERSON, MemoryTable(), events, MemoryTopic(), MemoryTopic(), clock=lambda: now)  # type: ignore[arg-type]
    register = command("c1", "birthing_person.register", {"first_name": "Ada", "last_name": "L"})
    await handled_through(handler, "p1", register, message(timestamp=(now + timedelta(days=1)).timestamp()))
    assert events.json()[-1][1]["time"] == "2026-11-26T09:00:00Z"


NOW = datetime(2026, 11, 26, 9, tzinfo=UTC)
REGISTER = command("c1", "birthing_person.register", {"first_name": "Ada", "last_name": "L"})
BEGIN = command("c2", "labour.begin", {"first_labour": True})


def person_handler(table: MemoryTable) -> CommandHandler[Any, Any, Any]:
    return CommandHandler(PERSON, table, MemoryTopic(), MemoryTopic(), MemoryTopic(), clock=lambda: NOW)  # type: ignore[arg-type]


async def test_a_command_decided_before_the_one_before_is_stored_builds_on_it() -> None:
    table = MemoryTable()
    handler = person_handler(table)
    registered = await handler.handle("p1", REGISTER, message(timestamp=NOW.timestamp()))
    begun = await handler.handle("p1", BEGIN, message(timestamp=NOW.timestamp(), offset=1))
    assert "p1" not in table  # neither stored yet
    assert begun.reply is not None and begun.reply.outcome.status == "accepted"
    assert begun.reply.outcome.version == 2  # registered (1), then labour begun (2)
    await handler.store(registered, 0)  # type: ignore[misc]
    assert handler.unstored["p1"][1] is begun.record  # the later record is still the one read
    await handler.store(begun, 0)  # type: ignore[misc]
    assert table["p1"] is begun.record and handler.unstored == {}
    assert [record.version for _, _, record in table.changelog] == [1, 2]


class CountedReads(MemoryTable):
    """A table that counts the records read from it (a RocksDB store decodes each one read)."""

    reads = 0

    def get(self, key: str, default: Any = None) -> Any:
        self.reads += 1
        return super().get(key, default)


async def test_a_stored_record_is_read_again_from_memory_until_a_rebalance() -> None:
    table = CountedReads()
    handler = person_handler(table)
    await handled_through(handler, "p1", REGISTER, message(timestamp=NOW.timestamp()))
    await handled_through(handler, "p1", BEGIN, message(timestamp=NOW.timestamp(), offset=1))
    assert table.reads == 1  # the register found no one; the begin took the record the register stored

    table["p1"] = replace(table["p1"], version=7)  # the table as recovered from its changelog after a rebalance
    after: Any = message(timestamp=NOW.timestamp(), offset=2)
    after.generation_id = 2
    start = command("c3", "contraction.start", {})
    started = await handled_through(handler, "p1", start, after)
    assert started is not None and started["outcome"]["version"] == 8  # built on the table's record, not memory's
    assert table.reads == 2


async def test_a_record_decided_before_a_rebalance_is_not_read_after_it() -> None:
    table = MemoryTable()
    handler = person_handler(table)
    await handler.handle("p1", REGISTER, message(timestamp=NOW.timestamp()))  # never stored: the partition moved
    after: Any = message(timestamp=NOW.timestamp(), offset=1)
    after.generation_id = 2
    refused = await handler.handle("p1", BEGIN, after)
    assert refused.reply is not None and refused.reply.outcome.error is not None
    assert refused.reply.outcome.error.code == "birthing_person_not_found"  # the register is delivered again first


async def test_a_redelivered_command_stores_its_record_again_so_a_changelog_that_missed_it_gets_it() -> None:
    table = MemoryTable()
    handler = person_handler(table)
    first = await handled_through(handler, "p1", REGISTER, message(timestamp=NOW.timestamp()))
    again = await handled_through(handler, "p1", REGISTER, message(timestamp=NOW.timestamp()))
    assert again == first
    assert [key for _, key, _ in table.changelog] == ["p1", "p1"]


def contractions(count: int) -> list[bytes]:
    """`count` commands, each starting or ending a contraction: every one is accepted in order."""
    return [
        command(f"k{n}", "contraction.end", {"intensity": 5})
        if n % 2
        else command(f"k{n}", "contraction.start", {"intensity": 5})
        for n in range(count)
    ]


def taken_at(offset: int) -> Any:
    """The command at `offset`, sent a second after the one before."""
    return message(timestamp=NOW.timestamp() + offset, offset=offset)


def later_handler(table: MemoryTable, events: MemoryTopic) -> CommandHandler[Any, Any, Any]:
    """A handler whose clock is past every send time above."""
    later = NOW + timedelta(hours=1)
    return CommandHandler(PERSON, table, events, MemoryTopic(), MemoryTopic(), clock=lambda: later)  # type: ignore[arg-type]


async def test_commands_delivered_again_are_not_applied_again_however_many_came_after_them() -> None:
    """After a crash, every command since the last committed offset comes again: more than the outcomes a record
    remembers. Each is recognised by its place in the topic, not taken as new."""
    table, events = MemoryTable(), MemoryTopic()
    handler = later_handler(table, events)
    taken = [REGISTER, BEGIN, *contractions(2 * RECENT_COMMANDS)]
    for offset, each in enumerate(taken):
        answer = await handled_through(handler, "p1", each, taken_at(offset))
        assert answer is not None and answer["outcome"]["status"] == "accepted"
    published, stored = len(events.json()), table["p1"]

    restarted = later_handler(table, events)
    answers = [await handled_through(restarted, "p1", each, taken_at(offset)) for offset, each in enumerate(taken)]
    assert len(events.json()) == published, "nothing published twice"
    assert table["p1"] == stored
    assert answers[-1] == answer, "a recent command is answered as the first time"
    assert answers[0] is None, "one too long ago to be remembered is not answered at all, rather than answered wrongly"


async def test_a_client_retry_after_commands_delivered_again_is_answered_as_the_first_time() -> None:
    handler = later_handler(MemoryTable(), MemoryTopic())
    taken = [REGISTER, BEGIN, *contractions(2 * RECENT_COMMANDS)]
    for offset, each in enumerate(taken):
        first = await handled_through(handler, "p1", each, taken_at(offset))
    for offset, each in enumerate(taken):  # the crash, then all of them again
        await handled_through(handler, "p1", each, taken_at(offset))
    retry = await handled_through(handler, "p1", taken[-1], taken_at(len(taken)))  # a new message, the same id
    assert retry == first


async def test_follow_ups_go_out_with_the_events_and_are_confirmed_before_the_record_is_stored() -> None:
    follow_up_topic = MemoryTopic()

    def follow_ups(state: labour.BirthingPerson, events: Any) -> list[tuple[Any, str, bytes]]:
        return [
            (follow_up_topic, state.id, f"{each.type} v{each.version} {state.first_name}".encode()) for each in events
        ]

    table, events, outcomes, dead_letters = MemoryTable(), MemoryTopic(), MemoryTopic(), MemoryTopic()
    handler = CommandHandler(PERSON, table, events, outcomes, dead_letters, clock=lambda: NOW, follow_ups=follow_ups)  # type: ignore[arg-type]
    sent_at = NOW.timestamp()
    await handled_through(handler, "p1", REGISTER, message(timestamp=sent_at, offset=0))
    handled = await handler.handle("p1", BEGIN, message(timestamp=sent_at, offset=1))
    assert follow_up_topic.sent == [("p1", b"birthing_person.registered v1 Ada"), ("p1", b"labour.begun v2 Ada")]
    assert len(handled.sent) == 3, "the event, its follow-up and the outcome: all confirmed before the record is stored"

    await handled_through(handler, "p1", BEGIN, message(timestamp=sent_at, offset=2))  # refused: a labour is under way
    await handled_through(handler, "p1", BEGIN, message(timestamp=sent_at, offset=1))  # delivered again
    assert len(follow_up_topic.sent) == 2
