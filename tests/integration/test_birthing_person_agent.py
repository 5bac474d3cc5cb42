"""The BirthingPerson agent on the real broker, driven as an outside system would: plain Kafka messages in,
the table (through its replies), events, outcomes and dead letters out."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import AsyncIterator

import pytest

from tests.support.kafka import Kafka, of
from tests.support.stack import Deployment


@pytest.fixture
async def kafka_client(own_deployment: Deployment) -> AsyncIterator[Kafka]:
    async with Kafka.of(own_deployment) as client:
        yield client


async def test_a_command_from_another_system_changes_the_table_publishes_events_and_an_outcome(
    kafka_client: Kafka,
) -> None:
    person = f"outside-{uuid.uuid4().hex[:8]}"
    registered = await kafka_client.reply(
        await kafka_client.command(person, "birthing_person.register", {"first_name": "Ada", "last_name": "L"}, "c1")
    )
    assert registered["outcome"]["status"] == "accepted"
    begun = await kafka_client.reply(await kafka_client.command(person, "labour.begin", {"first_labour": True}, "c2"))
    assert begun["outcome"]["version"] == 2
    assert begun["state"]["latest_labour"]["phase"] == "early"  # the table now holds the begun labour

    events = await kafka_client.read(f"{kafka_client.prefix}.birthing_person.events", 2, of(person))
    assert [(e["type"], e["version"], e["causation_id"]) for e in events] == [
        ("birthing_person.registered", 1, "c1"),
        ("labour.begun", 2, "c2"),
    ]
    outcomes = await kafka_client.read(f"{kafka_client.prefix}.birthing_person.outcomes", 2, of(person))
    assert [(o["command_id"], o["status"], o["event_ids"]) for o in outcomes] == [
        ("c1", "accepted", [events[0]["id"]]),
        ("c2", "accepted", [events[1]["id"]]),
    ]


async def test_a_redelivered_command_is_not_applied_again_and_gets_the_same_answer(kafka_client: Kafka) -> None:
    person = f"redelivered-{uuid.uuid4().hex[:8]}"
    await kafka_client.reply(
        await kafka_client.command(person, "birthing_person.register", {"first_name": "B", "last_name": "C"}, "r1")
    )
    await kafka_client.reply(await kafka_client.command(person, "labour.begin", {"first_labour": False}, "r2"))
    first = await kafka_client.reply(await kafka_client.command(person, "contraction.start", {}, "r3"))
    again = await kafka_client.reply(await kafka_client.command(person, "contraction.start", {}, "r3"))
    assert first["outcome"] == again["outcome"]
    assert len(again["state"]["latest_labour"]["contractions"]) == 1
    # Its events were published once; a later command fences what the topic holds for this person.
    await kafka_client.reply(await kafka_client.command(person, "contraction.end", {"intensity": 3}, "r4"))
    events = await kafka_client.read(f"{kafka_client.prefix}.birthing_person.events", 4, of(person))
    assert [e["type"] for e in events] == [
        "birthing_person.registered",
        "labour.begun",
        "contraction.started",
        "contraction.ended",
    ]


async def test_a_refused_command_is_answered_with_the_domain_error_and_changes_nothing(kafka_client: Kafka) -> None:
    person = f"refused-{uuid.uuid4().hex[:8]}"
    await kafka_client.reply(
        await kafka_client.command(person, "birthing_person.register", {"first_name": "D", "last_name": "E"}, "f1")
    )
    refused = await kafka_client.reply(await kafka_client.command(person, "contraction.start", {}, "f2"))
    assert refused["outcome"]["status"] == "rejected"
    assert refused["outcome"]["error"]["code"] == "labour_not_found"
    assert refused["outcome"]["version"] == 1


@pytest.mark.parametrize(
    ("value", "key", "code"),
    [
        (b"\xff not json", "p", "malformed_command"),
        (b'{"id": "x1", "type": "labour.teleport", "aggregate_id": "p", "data": {}}', "p", "unknown_command_type"),
        (b'{"id": "x2", "type": "labour.plan", "aggregate_id": "p", "data": {}}', "p", "invalid_command"),
        (b'{"id": "x3", "type": "labour.begin", "aggregate_id": "q", "data": {}}', "p", "key_mismatch"),
    ],
)  # fmt: skip
async def test_a_bad_message_is_rejected_and_dead_lettered_and_the_agent_goes_on(
    kafka_client: Kafka, value: bytes, key: str, code: str
) -> None:
    marker = uuid.uuid4().hex
    keyed = f"{key}-{marker}"
    value = value.replace(b'"aggregate_id": "p"', f'"aggregate_id": "{keyed}"'.encode())
    correlation = await kafka_client.send(value, key=keyed, reply=True)
    answer = await kafka_client.reply(correlation)
    assert (answer["outcome"]["status"], answer["outcome"]["error"]["code"]) == ("rejected", code)
    # Whenever the envelope could be read, the outcome names the command, so its sender can match it.
    expected_id = "unreadable" if code == "malformed_command" else json.loads(value)["id"]
    assert answer["outcome"]["command_id"] == expected_id
    (letter,) = await kafka_client.read(f"{kafka_client.prefix}.dead_letters", 1, lambda d: d["key"] == keyed)
    assert (letter["size"], letter["sha256"]) == (len(value), hashlib.sha256(value).hexdigest())
    assert "value" not in letter, "a dead letter points at the message; it does not copy what people wrote"
    assert letter["reason"]
    # The agent is still there for the next command.
    person = f"after-{marker}"
    after = await kafka_client.reply(
        await kafka_client.command(person, "birthing_person.register", {"first_name": "G", "last_name": "H"}, "a1")
    )
    assert after["outcome"]["status"] == "accepted"
