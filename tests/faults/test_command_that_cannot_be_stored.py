"""SIGKILL the worker, and while it is down a command arrives that it cannot store: with notes, it would make the
person's record larger than one Kafka message may be (LABOUR_TRACKER_MAX_MESSAGE_BYTES, 8 KiB here). Started again,
the worker takes that uncommitted command, refuses it as `record_too_large` on the outcome topic, parks it on the
dead-letter topic, goes on with the next command, and stays up: ready, the same process, serving everyone, the same
person too, with every record on the changelog within the limit and the event logs, tables and mirror in agreement.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import aiohttp
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from tests.support.api import caller_factory, iso
from tests.support.labour import PROSE_NOTE, Labour
from tests.support.load import consistency_report
from tests.support.stack import SMALL_MESSAGE_BYTES as MAX_MESSAGE_BYTES
from tests.support.stack import Deployment, SameProcess, Stack, ready

# The record the person is brought to: a contraction with a note of 2,000 bytes adds some 2,400 and cannot fit, a
# few small commands (some 300 bytes each) still can.
RECORD_BEFORE = MAX_MESSAGE_BYTES - 2_300
STAYS_UP_FOR = 10.0  # seconds the restarted worker is watched


class Topics:
    """The deployment's topics as a plain Kafka client sees them."""

    def __init__(self, stack: Stack) -> None:
        self.bootstrap = stack.env["LABOUR_TRACKER_KAFKA_BOOTSTRAP"]
        self.group = stack.env["LABOUR_TRACKER_APP_ID"]  # the workers' consumer group
        self.partitions = int(stack.env["LABOUR_TRACKER_TOPIC_PARTITIONS"])  # of each topic, changelogs too
        prefix = stack.env["LABOUR_TRACKER_TOPIC_PREFIX"]
        self.commands = f"{prefix}.birthing_person.commands"
        self.outcomes = f"{prefix}.birthing_person.outcomes"
        self.dead_letters = f"{prefix}.dead_letters"
        self.changelog = f"{self.group}-birthing_persons-changelog"

    async def everything_on(self, topic: str) -> list[Any]:
        """Every record the topic holds now."""
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False)
        await consumer.start()
        try:
            partitions = [TopicPartition(topic, p) for p in range(self.partitions)]
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            ends = await consumer.end_offsets(partitions)
            found: list[Any] = []
            async with asyncio.timeout(30):
                while [p for p in partitions if await consumer.position(p) < ends[p]]:
                    for records in (await consumer.getmany(timeout_ms=500)).values():
                        found += records
            return found
        finally:
            await consumer.stop()

    async def first(self, topic: str, match: Callable[[dict[str, Any]], bool], *, within: float = 60.0) -> Any:
        """The first record of the topic whose value matches, waiting for it up to `within` seconds."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            for record in await self.everything_on(topic):
                if record.value and match(json.loads(record.value)):
                    return record
            await asyncio.sleep(0.5)
        raise AssertionError(f"nothing on {topic} matched within {within:g} s")

    async def outcome(self, command_id: str) -> dict[str, Any]:
        found = await self.first(self.outcomes, lambda outcome: outcome.get("command_id") == command_id)
        value: dict[str, Any] = json.loads(found.value)
        return value

    async def records_of(self, person: str) -> list[bytes]:
        """The person's records on the table's changelog, oldest first."""
        return [r.value for r in await self.everything_on(self.changelog) if r.key == person.encode() and r.value]

    async def record_after(self, labour: Labour) -> bytes:
        """The person's record once it holds every contraction of `labour`, each ended."""
        async with asyncio.timeout(30):
            while True:
                records = await self.records_of(labour.caller.id)
                if records:
                    latest = json.loads(records[-1])["state"]["latest_labour"]["contractions"]
                    if len(latest) == len(labour.kept) and all(c["end_time"] for c in latest):
                        return records[-1]
                await asyncio.sleep(0.2)

    async def committed(self, partition: int) -> int:
        """The workers' committed offset on the command topic's partition (-1 if none)."""
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await admin.start()
        try:
            offsets = await admin.list_consumer_group_offsets(self.group)
        finally:
            await admin.close()
        found = offsets.get(TopicPartition(self.commands, partition))
        return found.offset if found is not None else -1


def command(person: str, command_type: str, data: dict[str, Any]) -> tuple[str, bytes]:
    """A command envelope as another system would produce it: its id, and its value."""
    command_id = f"outside-{uuid.uuid4().hex[:8]}"
    envelope = {"id": command_id, "type": command_type, "aggregate_id": person, "data": data}
    return command_id, json.dumps(envelope).encode()


async def test_a_worker_killed_with_a_command_it_cannot_store_uncommitted_starts_again_and_stays_up(
    small_messages: Deployment,
) -> None:
    stack, worker = small_messages.stack, small_messages.worker
    topics = Topics(stack)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        make = caller_factory(stack, http, worker.url)
        hostile = Labour(make("Hana", "Hostile"))
        await hostile.begin()
        bystander = Labour(make("Bea", "Bystander"))
        await bystander.begin()
        # The person's record grows, a note at a time, until a note of 2,000 bytes more cannot fit in it.
        while len(record := await topics.record_after(hostile)) < RECORD_BEFORE:
            room = RECORD_BEFORE - len(record)
            assert (await hostile.start(PROSE_NOTE[: max(1, min(len(PROSE_NOTE), room))])).status == 200
            assert (await hostile.end()).status == 200

        await asyncio.to_thread(worker.kill)
        person = hostile.caller.id
        start_time = iso(hostile.start_time(len(hostile.kept)))
        too_large, too_large_value = command(person, "contraction.start", {"intensity": 6, "start_time": start_time,
                                                                           "notes": PROSE_NOTE})  # fmt: skip
        small, small_value = command(person, "contraction.start", {"intensity": 6, "start_time": start_time})
        newcomer = f"outside-{uuid.uuid4().hex[:8]}"
        registers, registers_value = command(
            newcomer, "birthing_person.register", {"first_name": "N", "last_name": "O"}
        )
        producer = AIOKafkaProducer(bootstrap_servers=topics.bootstrap)
        await producer.start()
        try:
            sent = await producer.send_and_wait(topics.commands, too_large_value, key=person.encode())
            await producer.send_and_wait(topics.commands, small_value, key=person.encode())
            await producer.send_and_wait(topics.commands, registers_value, key=newcomer.encode())
        finally:
            await producer.stop()
        assert await topics.committed(sent.partition) <= sent.offset, "the command is left uncommitted"

        await asyncio.to_thread(worker.start)
        restarted = SameProcess(worker)

        refused = await topics.outcome(too_large)
        assert (refused["status"], refused["error"]["code"]) == ("rejected", "record_too_large"), refused
        assert refused["event_ids"] == []
        where = (topics.commands, sent.partition, sent.offset)
        letter = await topics.first(topics.dead_letters, lambda each: (each["topic"], each["partition"],
                                                                      each["offset"]) == where)  # fmt: skip
        parked = json.loads(letter.value)
        assert parked["key"] == person
        assert f"over the {MAX_MESSAGE_BYTES:,}" in parked["reason"], parked["reason"]
        accepted = await topics.outcome(small)  # the agent went on with the next command
        assert accepted["status"] == "accepted", accepted
        assert accepted["version"] == refused["version"] + len(accepted["event_ids"]) > refused["version"]
        hostile.kept.append(None)
        hostile.active = True
        assert (await topics.outcome(registers))["status"] == "accepted"

        # It stays up: the same process, ready, for a while after it refused the command.
        deadline = time.monotonic() + STAYS_UP_FOR
        while time.monotonic() < deadline:
            restarted.check()
            assert await ready(http, worker)
            await asyncio.sleep(0.5)

        # The same person's small commands are served, and what they had is as it was; someone else's too.
        ended = await hostile.end()
        assert ended.status == 200, ended.body
        await hostile.assert_intact()
        assert (await bystander.start(PROSE_NOTE)).status == 200
        assert (await bystander.end()).status == 200
        await bystander.assert_intact()
        later = Labour(make("Lia", "Later"))
        await later.begin()
        assert (await later.start("after the restart")).status == 200
        restarted.check()

        assert max(map(len, await topics.records_of(person))) <= MAX_MESSAGE_BYTES
        assert " agent failed" not in (worker.log.read_text() if worker.log else "")

    report = await consistency_report(stack)
    assert report["findings"] == []
