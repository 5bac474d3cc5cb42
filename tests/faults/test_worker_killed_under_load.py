"""SIGKILL the only worker during steady load and start it again: every acknowledged command is in the table and
the mirror exactly once, clients that retry with their Idempotency-Key lose nothing, and the service is ready."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import aiohttp
import pytest

from labour_tracker.devstack.kafka import KafkaBroker
from labour_tracker.devstack.postgres import PostgresCluster
from labour_tracker.devstack.worker import WorkerProcess
from tests.e2e.conftest import Stack, caller_factory, new_stack
from tests.faults.conftest import SteadyLoad, consistency_report

PERSONS = 6


@pytest.fixture(scope="module")
def deployment(kafka: KafkaBroker, postgres: PostgresCluster) -> Iterator[tuple[Stack, WorkerProcess]]:
    stack = new_stack(kafka, postgres)
    worker = stack.worker("faults-killed")
    worker.start()
    yield stack, worker
    worker.stop()


async def test_a_worker_killed_under_load_loses_no_acknowledged_command(
    deployment: tuple[Stack, WorkerProcess],
) -> None:
    stack, worker = deployment
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as http:
        load = SteadyLoad([caller_factory(stack, http, worker.url)(f"Person{n}", "Fault") for n in range(PERSONS)])
        await load.start()
        await asyncio.sleep(2)
        assert sum(load.acknowledged.values()) > 0
        killed = time.monotonic()
        await asyncio.to_thread(worker.kill)
        await asyncio.to_thread(worker.start)
        ready = time.monotonic() - killed
        await load.everyone_acknowledged_again()
        answering = time.monotonic() - killed
        await load.stop()
        print(f"recovery: ready {ready:.1f} s and answering again {answering:.1f} s after the SIGKILL")

    report = await consistency_report(stack)
    assert report["findings"] == []
    assert report["checked"]["birthing_person"] == PERSONS
