"""Two workers share the partitions; one is SIGKILLed under load. The other takes its partitions over, clients
that retry elsewhere with their Idempotency-Key lose nothing, and the killed one rejoins when started again."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterator

import aiohttp
import pytest

from labour_tracker.devstack.kafka import KafkaBroker
from labour_tracker.devstack.postgres import PostgresCluster
from labour_tracker.devstack.worker import WorkerProcess
from tests.e2e.conftest import Stack, caller_factory, new_stack, side_by_side
from tests.faults.conftest import SteadyLoad, consistency_report, ready

PERSONS = 8


@pytest.fixture(scope="module")
def deployment(kafka: KafkaBroker, postgres: PostgresCluster) -> Iterator[tuple[Stack, list[WorkerProcess]]]:
    stack = new_stack(kafka, postgres, LABOUR_TRACKER_TOPIC_PARTITIONS="6")
    with side_by_side(stack, "faults-first", "faults-second") as workers:
        yield stack, workers


async def test_one_worker_killed_and_restarted_under_load_loses_no_acknowledged_command(
    deployment: tuple[Stack, list[WorkerProcess]],
) -> None:
    stack, (first, second) = deployment
    rng = random.Random(11)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as http:
        async with asyncio.timeout(60):  # both have joined and the partitions are settled
            while not (await ready(http, first) and await ready(http, second)):  # noqa: ASYNC110 (polls HTTP)
                await asyncio.sleep(0.2)
        on = [caller_factory(stack, http, each.url) for each in (first, second)]
        people = [rng.choice(on)(f"Person{n}", "Twin", user_id=f"fault-twin-{n}") for n in range(PERSONS)]
        # A client of a deployment behind a load balancer: each attempt may reach either worker.
        load = SteadyLoad(people, urls=[first.url, second.url])
        await load.start()
        await asyncio.sleep(2)
        killed = time.monotonic()
        await asyncio.to_thread(second.kill)
        await load.everyone_acknowledged_again()  # the survivor has taken every partition over
        taken_over = time.monotonic() - killed
        await asyncio.to_thread(second.start)
        rejoined = time.monotonic() - killed
        await load.everyone_acknowledged_again()
        await load.stop()
        print(
            f"recovery: everyone answered {taken_over:.1f} s after the SIGKILL; the other rejoined at {rejoined:.1f} s"
        )
        assert await ready(http, first) and await ready(http, second)

    report = await consistency_report(stack)
    assert report["findings"] == []
    assert report["checked"]["birthing_person"] == PERSONS
