"""The framework's floor: Faust as the worker runs it (its transport, reply consumer, RocksDB store and event loop),
with none of the product. An HTTP view asks an agent, which adds one to a table's count for the key and answers.

`python -m bench.floor_worker worker` serves it, configured like a worker (LABOUR_TRACKER_KAFKA_BOOTSTRAP,
LABOUR_TRACKER_WEB_PORT, LABOUR_TRACKER_DATA_DIR) and started as one (`bench.harness.bench_floor`);
`bench.labour_commands` drives it as it drives the service.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import faust
import mode.loop
from faust.web import Request, Response, View

from labour_tracker.app import FAUST_STORES, MendedApp
from labour_tracker.settings import Settings


class FloorApp(MendedApp):
    async def on_started(self) -> None:
        logging.getLogger().setLevel(logging.WARNING)  # as the worker: no debug record built for every message
        await super().on_started()


if __name__ == "__main__":
    mode.loop.use("uvloop")  # before any event loop exists, as in the worker

PARTITIONS = Settings.model_fields["topic_partitions"].default  # as many as the service's topics have

app = FloorApp(
    "framework-floor",
    broker=f"kafka://{os.environ.get('LABOUR_TRACKER_KAFKA_BOOTSTRAP', '127.0.0.1:9092')}",
    store=FAUST_STORES["rocksdb://"],
    datadir=os.environ.get("LABOUR_TRACKER_DATA_DIR", "floor-data"),
    topic_partitions=PARTITIONS,
    web_bind="127.0.0.1",
    web_host="127.0.0.1",
    web_port=int(os.environ.get("LABOUR_TRACKER_WEB_PORT", "6066")),
    reply_create_topic=True,
    stream_wait_empty=False,
)
commands = app.topic(
    "framework-floor-commands", key_serializer="raw", value_serializer="raw", partitions=PARTITIONS, internal=True
)
counts = app.Table("framework-floor-counts", default=int, key_type=bytes, value_type=int, partitions=PARTITIONS)


@app.agent(commands, use_reply_headers=True)
async def count(stream: faust.StreamT[bytes]) -> Any:
    async for event in stream.events():
        counts[event.key] += 1
        yield {"count": counts[event.key]}


@app.page("/command/{key}")
class Command(View):
    async def post(self, request: Request, key: str) -> Response:
        return self.json(await count.ask(key=key.encode(), value=b"{}"))


@app.page("/api/v1/ready")  # where a worker answers it
class Ready(View):
    async def get(self, request: Request) -> Response:
        return self.json({}, status=200 if app.consumer.assignment() else 503)


if __name__ == "__main__":
    app.main()
