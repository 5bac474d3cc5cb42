"""Stop the Kafka broker during steady load and start it again: commands are refused while it is away, nothing
acknowledged is lost or doubled, and the worker answers again once the broker is back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import aiohttp
import pytest

from labour_tracker.devstack.kafka import KafkaBroker
from labour_tracker.devstack.postgres import PostgresCluster
from tests.support.api import caller_factory
from tests.support.load import SteadyLoad, consistency_report
from tests.support.servers import own_server
from tests.support.stack import Deployment, new_stack

PERSONS = 4


@pytest.fixture(scope="module")
def own_kafka() -> Iterator[KafkaBroker]:
    with own_server(KafkaBroker, "kafka") as broker:
        yield broker


@pytest.fixture(scope="module")
def deployment(own_kafka: KafkaBroker, postgres: PostgresCluster) -> Iterator[Deployment]:
    with Deployment.running(new_stack(own_kafka, postgres), "faults-kafka") as deployed:
        yield deployed


async def test_a_broker_restart_under_load_loses_no_acknowledged_command(
    deployment: Deployment, own_kafka: KafkaBroker
) -> None:
    stack, worker = deployment.stack, deployment.worker
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
