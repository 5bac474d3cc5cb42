"""The service's topics as another system sees them: plain Kafka clients, no Faust."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from tests.support.stack import Deployment


async def create_topic(bootstrap: str, topic: str) -> None:
    """A topic of one partition, as the broker creates none on first use."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    finally:
        await admin.close()


class Kafka:
    """An outside system on the topics: sends commands (optionally asking for a reply) and reads what comes out."""

    def __init__(self, bootstrap: str, prefix: str) -> None:
        self.bootstrap, self.prefix = bootstrap, prefix
        self.replies = f"{prefix}.test-replies-{uuid.uuid4().hex[:6]}"
        self.producer = AIOKafkaProducer(bootstrap_servers=bootstrap)

    @classmethod
    @asynccontextmanager
    async def of(cls, deployment: Deployment) -> AsyncIterator[Kafka]:
        """A client of the deployment's topics, started; stopped afterwards."""
        env = deployment.stack.env
        client = cls(env["LABOUR_TRACKER_KAFKA_BOOTSTRAP"], env["LABOUR_TRACKER_TOPIC_PREFIX"])
        await client.start()
        try:
            yield client
        finally:
            await client.stop()

    async def start(self) -> None:
        await create_topic(self.bootstrap, self.replies)
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


def of(person: str) -> Any:
    return lambda record: record.get("aggregate_id") == person
