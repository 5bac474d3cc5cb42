"""Two workers share the partitions; one is SIGKILLed under load. The other takes its partitions over, clients
that retry elsewhere with their Idempotency-Key lose nothing, and the killed one rejoins when started again."""

from __future__ import annotations

import asyncio
import random
import time

import aiohttp

from labour_tracker.devstack.worker import WorkerProcess
from tests.support.api import caller_factory
from tests.support.load import SteadyLoad, consistency_report
from tests.support.stack import Stack, ready

PERSONS = 8


async def test_one_worker_killed_and_restarted_under_load_loses_no_acknowledged_command(
    two_workers: tuple[Stack, list[WorkerProcess]],
) -> None:
    stack, (first, second) = two_workers
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
