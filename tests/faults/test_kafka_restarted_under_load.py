"""Stop the Kafka broker during steady load and start it again: commands are refused while it is away, nothing
acknowledged is lost or doubled, and the worker answers again once the broker is back."""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from labour_tracker.devstack.kafka import KafkaBroker
from labour_tracker.devstack.postgres import PostgresCluster
from labour_tracker.devstack.worker import WorkerProcess
from tests.e2e.conftest import Caller, Stack, caller_factory, new_stack
from tests.faults.conftest import ACKNOWLEDGED_WITHIN, consistency_report, until_acknowledged

PERSONS = 4


@pytest.fixture(scope="module")
def own_kafka() -> Iterator[KafkaBroker]:
    broker = KafkaBroker(Path(tempfile.mkdtemp(prefix="labour-tracker-kafka-")) / "kafka")
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture(scope="module")
def deployment(own_kafka: KafkaBroker, postgres: PostgresCluster) -> Iterator[tuple[Stack, WorkerProcess]]:
    stack = new_stack(own_kafka, postgres)
    worker = stack.worker("faults-kafka")
    worker.start()
    yield stack, worker
    worker.stop()


async def test_a_broker_restart_under_load_loses_no_acknowledged_command(
    deployment: tuple[Stack, WorkerProcess], own_kafka: KafkaBroker
) -> None:
    stack, worker = deployment
    acknowledged: Counter[str] = Counter()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as http:
        people = [caller_factory(stack, http, worker.url)(f"Person{n}", "Broker") for n in range(PERSONS)]
        for each in people:
            assert (await each.post("/birthing-person/register")).status == 201
            assert (await each.post("/labour/begin", {"first_labour": True})).status == 200
        stopping, progress = asyncio.Event(), asyncio.Event()

        async def steady(caller: Caller) -> None:
            while not stopping.is_set():
                await until_acknowledged(caller, "POST", "/labour/contraction/start", {"intensity": 5})
                acknowledged[caller.id] += 1
                progress.set()
                await until_acknowledged(caller, "PUT", "/labour/contraction/end", {"intensity": 5})

        load = [asyncio.create_task(steady(each)) for each in people]
        await asyncio.sleep(2)
        await asyncio.to_thread(own_kafka.stop)
        stopped = time.monotonic()
        await asyncio.sleep(5)
        during_outage = sum(acknowledged.values())
        await asyncio.to_thread(own_kafka.start)
        back = time.monotonic()
        async with asyncio.timeout(ACKNOWLEDGED_WITHIN):
            while sum(acknowledged.values()) < during_outage + 2 * PERSONS:
                progress.clear()
                await progress.wait()
        answering = time.monotonic() - back
        stopping.set()
        await asyncio.wait_for(asyncio.gather(*load), timeout=2 * ACKNOWLEDGED_WITHIN)
        print(f"recovery: answering again {answering:.1f} s after the broker was back ({back - stopped:.1f} s away)")

        for each in people:
            contractions = (await each.get("/labour/active")).body["labour"]["contractions"]
            assert len(contractions) == acknowledged[each.id], "each acknowledged start made exactly one contraction"
        async with http.get(f"{worker.url}/api/v1/ready") as ready:
            assert ready.status == 200

    report = await consistency_report(stack)
    assert report["findings"] == []
    assert report["checked"]["birthing_person"] == PERSONS
