"""The baseline's far end: a bare aiokafka service that answers every request on the reply topic.

`python -m bench.echo BOOTSTRAP REQUESTS REPLIES` — one consumer, one producer, no framework.
"""

from __future__ import annotations

import asyncio
import sys

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer


async def echo(bootstrap: str, requests: str, replies: str) -> None:
    consumer = AIOKafkaConsumer(
        requests, bootstrap_servers=bootstrap, group_id="bench-echo", auto_offset_reset="latest"
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0)
    await consumer.start()
    await producer.start()
    print("echo ready", flush=True)
    try:
        async for record in consumer:
            await producer.send(replies, record.value, key=record.key)
    finally:
        await consumer.stop()
        await producer.stop()


if __name__ == "__main__":
    asyncio.run(echo(*sys.argv[1:4]))
