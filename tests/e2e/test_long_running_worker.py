"""A worker answers every command however many it has answered before (Faust paused its replies after 3,276)."""

from __future__ import annotations

import asyncio
from collections import Counter

import aiohttp

from tests.support.stack import Deployment

COMMANDS = 3_600  # past the 3,276 replies after which Faust's own reply consumer stopped
IN_FLIGHT = 32


async def test_thousands_of_commands_on_one_worker_are_all_answered(own_deployment: Deployment) -> None:
    statuses: Counter[int] = Counter()
    async with aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=30), connector=aiohttp.TCPConnector(limit=IN_FLIGHT)
    ) as http:
        make = own_deployment.callers(http)
        people = [make(f"Person{n}", "Many") for n in range(IN_FLIGHT)]

        async def keep_asking(index: int) -> None:
            caller = people[index]
            statuses[(await caller.post("/birthing-person/register")).status] += 1
            statuses[(await caller.post("/labour/begin", {"first_labour": True})).status] += 1
            for n in range(index + 2 * IN_FLIGHT, COMMANDS, IN_FLIGHT):
                starting = n // IN_FLIGHT % 2 == 0
                method, path = ("POST", "/labour/contraction/start") if starting else ("PUT", "/labour/contraction/end")
                statuses[(await caller.call(method, path, {"intensity": 5})).status] += 1

        await asyncio.gather(*(keep_asking(n) for n in range(IN_FLIGHT)))
    assert statuses == {201: IN_FLIGHT, 200: COMMANDS - IN_FLIGHT}
