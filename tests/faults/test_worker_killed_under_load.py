"""SIGKILL the only worker during steady load and start it again: every acknowledged command is in the table and
the mirror exactly once, clients that retry with their Idempotency-Key lose nothing, and the service is ready."""

from __future__ import annotations

import asyncio
import time

import aiohttp

from tests.support.api import caller_factory
from tests.support.load import SteadyLoad, consistency_report
from tests.support.stack import Deployment

PERSONS = 6


async def test_a_worker_killed_under_load_loses_no_acknowledged_command(
    own_deployment: Deployment,
) -> None:
    stack, worker = own_deployment.stack, own_deployment.worker
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
