"""A worker that restarts rebuilds its tables from the changelog (memory store) or its local state (RocksDB)."""

from __future__ import annotations

import aiohttp
import pytest

from labour_tracker.devstack.kafka import KafkaBroker
from labour_tracker.devstack.postgres import PostgresCluster
from tests.e2e.conftest import caller_factory, new_stack


@pytest.mark.parametrize("store", ["memory://", "rocksdb://"])
async def test_a_restarted_worker_still_knows_every_labour(
    kafka: KafkaBroker, postgres: PostgresCluster, store: str
) -> None:
    stack = new_stack(kafka, postgres, LABOUR_TRACKER_STORE=store)
    worker = stack.worker("restart")
    worker.start()
    try:
        async with aiohttp.ClientSession() as session:
            alice = caller_factory(stack, session, worker.url)("Alice", "R", user_id="restart-alice")
            await alice.post("/birthing-person/register")
            await alice.post("/labour/begin", {"first_labour": True})
            await alice.post("/labour/contraction/start", {"intensity": 3, "notes": "before the restart"})
            worker.stop()
            worker.start()
            active = await alice.get("/labour/active")
            assert active.status == 200, active.body
            assert [c["notes"] for c in active.body["labour"]["contractions"]] == ["before the restart"]
            ended = await alice.put("/labour/contraction/end", {"intensity": 4})
            assert ended.status == 200, ended.body
    finally:
        worker.stop()
