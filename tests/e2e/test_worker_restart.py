"""A worker that restarts rebuilds its tables from the changelog (memory store) or its local state (RocksDB), and
from the changelog whatever RocksDB had not yet flushed when it died."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from labour_tracker.devstack.kafka import KafkaBroker
from labour_tracker.devstack.postgres import PostgresCluster
from labour_tracker.devstack.worker import WorkerProcess
from tests.support.api import caller_factory
from tests.support.stack import new_stack, scrape


async def committed(session: aiohttp.ClientSession, worker: WorkerProcess) -> None:
    """Wait until the worker has committed every command it took: each is then in the changelog."""
    for _ in range(100):
        lag = (await scrape(session, worker)).get("labour_tracker_consumer_lag", [])
        commands = [behind for labels, behind in lag if labels["topic"].endswith(".birthing_person.commands")]
        if commands and not any(commands):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"commands not committed: {lag}")


@pytest.mark.parametrize(("store", "ending"), [("memory://", "stop"), ("rocksdb://", "stop"), ("rocksdb://", "kill")])
async def test_a_restarted_worker_still_knows_every_labour(
    kafka: KafkaBroker, postgres: PostgresCluster, store: str, ending: str
) -> None:
    stack = new_stack(kafka, postgres, LABOUR_TRACKER_STORE=store)
    with stack.running("restart") as worker:
        async with aiohttp.ClientSession() as session:
            alice = caller_factory(stack, session, worker.url)("Alice", "R", user_id="restart-alice")
            await alice.post("/birthing-person/register")
            await alice.post("/labour/begin", {"first_labour": True})
            await alice.post("/labour/contraction/start", {"intensity": 3, "notes": "before the restart"})
            if ending == "stop":
                worker.stop()
            else:
                await committed(session, worker)  # else a command redelivered after the restart may come after the read
                worker.kill()
            worker.start()
            active = await alice.get("/labour/active")
            assert active.status == 200, active.body
            assert [c["notes"] for c in active.body["labour"]["contractions"]] == ["before the restart"]
            ended = await alice.put("/labour/contraction/end", {"intensity": 4})
            assert ended.status == 200, ended.body
