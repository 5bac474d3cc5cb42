"""The BirthingPerson agent on the real broker, driven as an outside system would: plain Kafka messages in,
the table (through its replies), events, outcomes and dead letters out."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from labour_tracker.devstack.kafka import KafkaBroker
from labour_tracker.devstack.worker import WorkerProcess
from tests.e2e.conftest import Stack


class Kafka:
    """An outside system on the topics: sends commands (optionally asking for a reply) and reads what comes out."""

    def __init__(self, bootstrap: str, prefix: str) -> None:
        self.bootstrap, self.prefix = bootstrap, prefix
        self.replies = f"{prefix}.test-replies-{uuid.uuid4().hex[:6]}"
        self.producer = AIOKafkaProducer(bootstrap_servers=bootstrap)

    async def start(self) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await admin.start()
        try:
            await admin.create_topics([NewTopic(self.replies, num_partitions=1, replication_factor=1)])
        finally:
            await admin.close()
        await self.producer.start()

    async def send(self, value: bytes, *, key: str | None, reply: bool = False) -> str:
        correlation = uuid.uuid4().hex
        headers = [("Faust-Ag-ReplyTo", self.replies.encode()), ("Faust-Ag-CorrelationId", correlation.encode())]
        await self.producer.send_and_wait(
            f"{self.prefix}.birthing_person.commands",
            value,
            key=key.encode() if key is not None else None,
            headers=headers if reply else None,
        )
        return correlation

    async def command(self, person: str, command_type: str, data: dict[str, Any], command_id: str) -> str:
        envelope = {"id": command_id, "type": command_type, "aggregate_id": person, "data": data}
        return await self.send(json.dumps(envelope).encode(), key=person, reply=True)

    async def read(self, topic: str, count: int, match: Any = lambda record: True) -> list[dict[str, Any]]:
        """The first `count` records of the topic that `match`, waiting for them up to 20 s."""
        consumer = AIOKafkaConsumer(topic, bootstrap_servers=self.bootstrap, auto_offset_reset="earliest")
        await consumer.start()
        found: list[dict[str, Any]] = []
        try:
            async with asyncio.timeout(20):
                while len(found) < count:
                    for records in (await consumer.getmany(timeout_ms=500)).values():
                        found += [value for r in records if match(value := json.loads(r.value))]
        finally:
            await consumer.stop()
        return found[:count]

    async def reply(self, correlation: str) -> dict[str, Any]:
        (response,) = await self.read(self.replies, 1, lambda record: record["correlation_id"] == correlation)
        value: dict[str, Any] = response["value"]
        return value

    async def stop(self) -> None:
        await self.producer.stop()


@pytest.fixture
async def kafka_client(deployment: tuple[Stack, WorkerProcess], kafka: KafkaBroker) -> AsyncIterator[Kafka]:
    stack, _ = deployment
    client = Kafka(kafka.bootstrap, stack.env["LABOUR_TRACKER_TOPIC_PREFIX"])
    await client.start()
    yield client
    await client.stop()


def of(person: str) -> Any:
    return lambda record: record.get("aggregate_id") == person


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
        (b'{"id": "x2", "type": "labour.begin", "aggregate_id": "p", "data": {}}', "p", "invalid_command"),
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
    assert letter["value"] == value.decode("utf-8", errors="replace")
    assert letter["reason"]
    # The agent is still there for the next command.
    person = f"after-{marker}"
    after = await kafka_client.reply(
        await kafka_client.command(person, "birthing_person.register", {"first_name": "G", "last_name": "H"}, "a1")
    )
    assert after["outcome"]["status"] == "accepted"
