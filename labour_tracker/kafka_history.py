"""Read partitions from their start up to their ends as they are when the reading begins."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

Batch = dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]


async def rewind(consumer: AIOKafkaConsumer, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
    """Assign the consumer `partitions` at their start; returns their ends, where reading them should stop."""
    consumer.assign(partitions)
    await consumer.seek_to_beginning(*partitions)
    ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
    return ends


async def batches_up_to(
    consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int], max_records: int | None = None
) -> AsyncIterator[Batch]:
    """Batches of records until every partition's position reaches its end (a batch may reach beyond it)."""
    remaining = {tp for tp, end in ends.items() if end > 0}
    while remaining:
        yield await consumer.getmany(*remaining, timeout_ms=500, max_records=max_records)
        remaining = {tp for tp in remaining if await consumer.position(tp) < ends[tp]}
