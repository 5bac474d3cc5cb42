"""The command handler: redelivered commands, commands decided before the one before them is stored, and commands
refused whole (without a key, too large to answer in full, or reusing another command's id)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka.errors import KafkaTimeoutError, MessageSizeTooLargeError

from labour_tracker.agents import birthing_person
from labour_tracker.domain import labour
from labour_tracker.engine.handler import CommandHandler
from labour_tracker.engine.pipeline import refused_by_kafka
from labour_tracker.messages.envelopes import RECENT_COMMANDS, EventEnvelope
from labour_tracker.messages.sealing import opened
from tests.fakes.commands import PERSON, REGISTER_ALICE, command
from tests.fakes.faust_parts import MemoryTable, MemoryTopic, delivered, handled_through, message
from tests.fakes.worker import person_decider


async def test_a_redelivered_command_publishes_the_same_events_however_late_it_comes_again() -> None:
    sent = datetime(2026, 11, 26, 9, 0, 0, 123000, tzinfo=UTC)
    clock = [sent + timedelta(milliseconds=40)]
    table, events = MemoryTable(), MemoryTopic()
    handler = CommandHandler(PERSON, table, events, MemoryTopic(), MemoryTopic(), clock=lambda: clock[0])  # type: ignore[arg-type]
    register = command("c1", "birthing_person.register", {"first_name": "Ada", "last_name": "L"})
    await handled_through(handler, "p1", register, message(timestamp=sent.timestamp()))
    begin = command("c2", "labour.begin", {"first_labour": True})
    await handler.handle("p1", begin, message(timestamp=sent.timestamp(), offset=1))
    key = table["p1"].data_key
    first = opened(EventEnvelope.model_validate_json(events.sent[-1][1]), key)

    # The crash: the events were published, the record of c2 was never stored; the worker restarted.
    restarted = CommandHandler(PERSON, table, events, MemoryTopic(), MemoryTopic(), clock=lambda: clock[0])  # type: ignore[arg-type]
    clock[0] += timedelta(seconds=12)  # and the command comes again
    await handled_through(restarted, "p1", begin, message(timestamp=sent.timestamp(), offset=1))
    assert opened(EventEnvelope.model_validate_json(events.sent[-1][1]), key) == first
    assert first.data["start_time"] == "2026-11-26T09:00:00.123000Z"


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


async def test_a_command_whose_record_would_be_too_large_is_refused_parked_and_the_next_one_taken() -> None:
    table, events, outcomes, dead_letters = MemoryTable(), MemoryTopic(), MemoryTopic(), MemoryTopic()
    handler = CommandHandler(PERSON, table, events, outcomes, dead_letters, clock=lambda: NOW, max_message_bytes=5000)  # type: ignore[arg-type]
    note = "n" * 2000
    taken = [
        REGISTER,
        command("c2", "labour.begin", {"first_labour": True, "start_time": "2026-11-26T07:00:00Z"}),
        command("c3", "contraction.start", {"notes": note, "start_time": "2026-11-26T08:00:00Z"}),
        command("c4", "contraction.end", {"intensity": 5, "end_time": "2026-11-26T08:01:00Z"}),
    ]
    for offset, each in enumerate(taken):
        answer = await handled_through(handler, "p1", each, message(timestamp=NOW.timestamp(), offset=offset))
        assert answer is not None and answer["outcome"]["status"] == "accepted"
    published, stored = len(events.sent), table["p1"]

    too_much = command("c5", "contraction.start", {"notes": note, "start_time": "2026-11-26T08:05:00Z"})
    refused = await handled_through(handler, "p1", too_much, message(timestamp=NOW.timestamp(), offset=4))

    assert refused is not None and refused["state"] is None
    assert refused["outcome"]["status"] == "rejected"
    assert refused["outcome"]["error"]["code"] == "record_too_large"
    assert refused["outcome"]["error"]["kind"] == "unprocessable"  # 422 over HTTP
    assert outcomes.values()[-1] == refused["outcome"]
    assert [letter["offset"] for letter in dead_letters.values()] == [4]
    assert "record" in dead_letters.values()[0]["reason"] and note not in dead_letters.values()[0]["reason"]
    assert len(events.sent) == published, "nothing of the refused command was published"
    assert table["p1"].state == stored.state and table["p1"].version == stored.version

    retried = await handled_through(handler, "p1", too_much, message(timestamp=NOW.timestamp(), offset=5))
    assert retried == refused, "a retry is answered as the first time"
    small = command("c6", "contraction.start", {"start_time": "2026-11-26T08:05:00Z"})
    taken_next = await handled_through(handler, "p1", small, message(timestamp=NOW.timestamp(), offset=6))
    assert taken_next is not None and taken_next["outcome"]["status"] == "accepted"


def failed_send(error: Exception) -> asyncio.Future[None]:
    failed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    failed.set_exception(error)
    return failed


async def test_a_message_the_broker_refuses_for_good_is_named_and_one_it_may_take_later_stops_the_agent() -> None:
    assert await refused_by_kafka("birthing_person", [delivered(), delivered()]) is None
    too_large = [delivered(), failed_send(MessageSizeTooLargeError())]
    assert await refused_by_kafka("birthing_person", too_large) == "not written to Kafka: MessageSizeTooLargeError"
    with pytest.raises(KafkaTimeoutError):
        await refused_by_kafka("birthing_person", [failed_send(KafkaTimeoutError())])


async def test_a_command_the_broker_refused_is_forgotten_and_its_caller_told_nothing_changed() -> None:
    table = MemoryTable()
    handler = person_handler(table)
    await handled_through(handler, "p1", REGISTER, message(timestamp=NOW.timestamp()))
    begun = await handler.handle("p1", BEGIN, message(timestamp=NOW.timestamp(), offset=1))

    handler.forget(begun)
    told = handler.failed(begun.reply)

    assert told is not None and told.state is None
    assert (told.outcome.status, told.outcome.error and told.outcome.error.code) == ("rejected", "not_written")
    again = await handler.handle("p1", BEGIN, message(timestamp=NOW.timestamp(), offset=1))
    assert again.reply is not None and again.reply.outcome.status == "accepted", "decided on the stored record"


# Commands refused whole: each is answered, and what it leaves on the topics fits in a Kafka message.
# tests/integration/test_hostile_messages.py sends the same kinds of message to a running worker.

BIRTHING_PERSON = person_decider()


def handler() -> tuple[CommandHandler[Any, Any, Any], MemoryTopic, MemoryTopic]:
    outcomes, letters = MemoryTopic(), MemoryTopic()
    fakes: Any = (MemoryTable(), MemoryTopic(), outcomes, letters)
    return CommandHandler(BIRTHING_PERSON, *fakes, clock=lambda: NOW), outcomes, letters


MESSAGE = message(topic="x.birthing_person.commands", offset=3, timestamp=NOW.timestamp())


async def test_a_command_without_a_key_is_refused_for_it_would_be_applied_on_the_wrong_partition() -> None:
    command_handler, outcomes, letters = handler()
    reply = await handled_through(command_handler, None, json.dumps(REGISTER_ALICE).encode(), MESSAGE)
    assert (reply["outcome"]["status"], reply["outcome"]["error"]["code"]) == ("rejected", "key_mismatch")
    assert len(letters.sent) == 1
    assert outcomes.sent[0][0] == "alice"


@pytest.mark.parametrize(
    "envelope",
    [
        REGISTER_ALICE | {f"f{n}": 0 for n in range(70_000)},  # seventy thousand problems
        REGISTER_ALICE | {"f" * 1_000_000: 0},  # a field name of a megabyte
        REGISTER_ALICE | {"type": "t" * 1_000_000},  # a type of a megabyte, quoted by "unknown type" before
        REGISTER_ALICE | {"data": {"x" * 1_000_000: 0}},  # invalid data, named by its field
    ],
)
async def test_the_outcome_of_a_huge_refused_command_fits_in_a_kafka_message(envelope: dict[str, Any]) -> None:
    command_handler, outcomes, _ = handler()
    reply = await handled_through(command_handler, "alice", json.dumps(envelope).encode(), MESSAGE)
    assert reply["outcome"]["status"] == "rejected"
    [(_, outcome)] = outcomes.sent
    assert len(outcome) < 10_000
    assert len(reply["outcome"]["error"]["details"]) <= 20


async def test_a_command_id_used_again_for_another_command_or_payload_is_refused_not_answered_with_the_first() -> None:
    table = MemoryTable()
    fakes: Any = (table, MemoryTopic(), MemoryTopic(), MemoryTopic())
    handler = CommandHandler(BIRTHING_PERSON, *fakes, clock=lambda: NOW)
    offsets = iter(range(100))

    async def send(command_type: str, data: dict[str, Any]) -> dict[str, Any]:
        """A new message (the next offset) with the same command id."""
        envelope = {"id": "key-1", "type": command_type, "aggregate_id": "alice", "data": data}
        consumed = message(timestamp=NOW.timestamp(), offset=next(offsets))
        reply = await handled_through(handler, "alice", json.dumps(envelope).encode(), consumed)
        assert reply is not None
        return reply["outcome"]

    assert (await send("birthing_person.register", {"first_name": "Ada", "last_name": "L"}))["status"] == "accepted"
    reused = await send("labour.begin", {"first_labour": True})
    assert (reused["status"], reused["error"]["kind"], reused["error"]["code"]) == (
        "rejected",
        "conflict",
        "command_id_reused",
    )
    assert table["alice"].version == 1  # labour was not begun
    again = await send("birthing_person.register", {"first_name": "Ada", "last_name": "L"})
    assert (again["status"], again["version"]) == ("accepted", 1)  # the retry of the first is still answered
    renamed = await send("birthing_person.register", {"first_name": "Eve", "last_name": "L"})
    assert (renamed["status"], renamed["error"]["kind"], renamed["error"]["code"]) == (
        "rejected",
        "unprocessable",
        "idempotency_key_reused",
    )
    assert table["alice"].state.first_name == "Ada"
    reordered = await send("birthing_person.register", {"last_name": "L", "first_name": "Ada"})
    assert (reordered["status"], reordered["version"]) == ("accepted", 1), "the same payload, however ordered"


async def test_past_the_cap_on_commands_a_minute_an_owners_command_is_refused_unrecorded_and_the_services_pass() -> (
    None
):
    table = MemoryTable()
    capped = CommandHandler(PERSON, table, MemoryTopic(), MemoryTopic(), MemoryTopic(), commands_per_minute=3)  # type: ignore[arg-type]
    offsets = iter(range(100))

    async def send(command_id: str, command_type: str, data: dict[str, Any], at: datetime) -> dict[str, Any]:
        envelope = command(command_id, command_type, data)
        reply = await handled_through(capped, "p1", envelope, message(timestamp=at.timestamp(), offset=next(offsets)))
        assert reply is not None
        return reply["outcome"]

    await send("c1", "birthing_person.register", {"first_name": "Ada", "last_name": "L"}, NOW)
    await send("c2", "labour.begin", {"first_labour": True}, NOW + timedelta(seconds=10))
    await send("c3", "contraction.start", {}, NOW + timedelta(seconds=20))
    refused = await send("c4", "contraction.end", {"intensity": 5}, NOW + timedelta(seconds=30))

    assert (refused["status"], refused["error"]["kind"], refused["error"]["code"]) == (
        "rejected",
        "too_many",
        "too_many_commands",
    )
    assert refused["error"]["retry_after"] == 30  # when the first is a minute old
    assert [each.command_id for each in table["p1"].processed] == ["c1", "c2", "c3"], "the refusal is not kept"
    on_her_behalf = await send(
        "s1", "birthing_person.add_subscriber", {"subscriber_id": "sam"}, NOW + timedelta(seconds=31)
    )
    assert on_her_behalf["status"] == "accepted", "the service's commands for her are not counted"
    again = await send("c4", "contraction.end", {"intensity": 5}, NOW + timedelta(seconds=61))
    assert again["status"] == "accepted", "the same command, once the oldest left the minute, is decided afresh"


async def test_a_command_refused_by_a_cap_is_not_kept_so_its_retry_after_the_wait_is_decided_afresh() -> None:
    one_a_day = birthing_person.decider(b"s" * 32, labours_per_day=1)
    table = MemoryTable()
    handler = CommandHandler(one_a_day, table, MemoryTopic(), MemoryTopic(), MemoryTopic())  # type: ignore[arg-type]
    offsets = iter(range(100))

    async def send(command_id: str, command_type: str, data: dict[str, Any], at: datetime) -> dict[str, Any]:
        envelope = command(command_id, command_type, data)
        reply = await handled_through(handler, "p1", envelope, message(timestamp=at.timestamp(), offset=next(offsets)))
        assert reply is not None
        return reply["outcome"]

    await send("c1", "birthing_person.register", {"first_name": "Ada", "last_name": "L"}, NOW)
    await send("c2", "labour.begin", {"first_labour": True}, NOW)
    await send("c3", "labour.complete", {}, NOW + timedelta(hours=1))
    refused = await send("c4", "labour.begin", {"first_labour": False}, NOW + timedelta(hours=2))
    again = await send("c4", "labour.begin", {"first_labour": False}, NOW + timedelta(days=1, seconds=1))

    assert (refused["error"]["code"], refused["error"]["retry_after"]) == ("labours_per_day_reached", 22 * 3600)
    assert again["status"] == "accepted", "the retry with the same key, after the wait, is not answered 429 again"


def acting(command_id: str, command_type: str, data: dict[str, Any], actor: str | None = None) -> bytes:
    envelope = {"id": command_id, "type": command_type, "aggregate_id": "p1", "data": data}
    return json.dumps(envelope | ({"actor": actor} if actor else {})).encode()


async def test_an_actor_reusing_another_actors_command_id_is_refused_not_answered_with_their_outcome() -> None:
    handler = CommandHandler(
        birthing_person.decider(b"secret"), MemoryTable(), MemoryTopic(), MemoryTopic(), MemoryTopic(),  # type: ignore[arg-type]
        clock=lambda: NOW,
    )  # fmt: skip
    offsets = iter(range(100))

    async def send(value: bytes) -> dict[str, Any]:
        answer = await handled_through(handler, "p1", value, message(timestamp=NOW.timestamp(), offset=next(offsets)))
        assert answer is not None
        outcome: dict[str, Any] = answer["outcome"]
        return outcome

    for each in (
        REGISTER,
        acting("c2", "labour.begin", {"first_labour": True, "start_time": "2026-11-26T08:00:00Z"}),
        acting("c3", "birthing_person.add_subscriber", {"subscriber_id": "pat"}),
        acting("c4", "birthing_person.approve_follow_request", {"subscriber_id": "pat", "role": "birth_partner"}),
    ):
        assert (await send(each))["status"] == "accepted"
    start = {"intensity": 4, "start_time": "2026-11-26T08:58:00Z"}
    hers = await send(acting("c5", "contraction.start", start))
    assert hers["status"] == "accepted"

    replayed = await send(acting("c5", "contraction.start", start, actor="pat"))
    assert (replayed["status"], replayed["error"]["code"]) == ("rejected", "idempotency_key_reused")
    his = await send(acting("c6", "contraction.end", {"intensity": 5}, actor="pat"))
    assert his["status"] == "accepted"
    assert await send(acting("c6", "contraction.end", {"intensity": 5}, actor="pat")) == his  # his retry
    taken = await send(acting("c6", "contraction.end", {"intensity": 5}))
    assert (taken["status"], taken["error"]["code"]) == ("rejected", "idempotency_key_reused")
    stranger = await send(acting("c7", "contraction.start", {}, actor="eve"))
    assert (stranger["status"], stranger["error"]["kind"], stranger["error"]["code"]) == (
        "rejected",
        "forbidden",
        "not_birth_partner",
    )


async def test_an_aggregate_that_takes_commands_from_itself_only_refuses_any_other_actor() -> None:
    handler = person_handler(MemoryTable())
    await handled_through(handler, "p1", REGISTER, message(timestamp=NOW.timestamp()))

    answer = await handled_through(
        handler,
        "p1",
        acting("c2", "labour.begin", {"first_labour": True}, actor="pat"),
        message(timestamp=NOW.timestamp(), offset=1),
    )

    assert answer is not None and answer["outcome"]["error"]["code"] == "actor_not_allowed"
