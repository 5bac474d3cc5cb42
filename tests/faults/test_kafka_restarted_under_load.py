"""Stop the Kafka broker during steady load and start it again: commands are refused while it is away, nothing
acknowledged is lost or doubled, and the worker answers again once the broker is back."""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from labour_tracker.devstack.kafka import KafkaBroker
from labour_tracker.devstack.postgres import PostgresCluster
from labour_tracker.devstack.worker import WorkerProcess
from tests.e2e.conftest import Stack, caller_factory, new_stack
from tests.faults.conftest import SteadyLoad, consistency_report

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
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as http:
        load = SteadyLoad([caller_factory(stack, http, worker.url)(f"Person{n}", "Broker") for n in range(PERSONS)])
        await load.start()
        await asyncio.sleep(2)
        await asyncio.to_thread(own_kafka.stop)
        stopped = time.monotonic()
        await asyncio.sleep(5)
        await asyncio.to_thread(own_kafka.start)
        back = time.monotonic()
        await load.everyone_acknowledged_again()
        answering = time.monotonic() - back
        await load.stop()
        print(f"recovery: answering again {answering:.1f} s after the broker was back ({back - stopped:.1f} s away)")
        async with http.get(f"{worker.url}/api/v1/ready") as ready:
            assert ready.status == 200

    report = await consistency_report(stack)
    assert report["findings"] == []
    assert report["checked"]["birthing_person"] == PERSONS
