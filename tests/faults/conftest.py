"""What every fault test checks afterwards: the event logs, the tables and the mirror agree (`labour-tracker check`)."""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
import uuid
from collections import Counter
from typing import Any

import aiohttp

from tests.e2e.conftest import Caller, Stack

ACKNOWLEDGED_WITHIN = 90.0  # seconds a retried command may take across a fault


async def consistency_report(stack: Stack, *, within: float = 60.0) -> dict[str, Any]:
    """The checker's report once it finds nothing, or its last report when `within` runs out (the mirror trails)."""
    deadline = time.monotonic() + within
    while True:
        checker = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "labour_tracker", "check", "--json",
            env={**os.environ, **stack.env}, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await checker.communicate()
        assert checker.returncode in (0, 1), err.decode()[-2000:]
        report: dict[str, Any] = json.loads(out)
        if checker.returncode == 0 or time.monotonic() > deadline:
            return report
        await asyncio.sleep(1)


async def until_acknowledged(
    caller: Caller,
    method: str,
    path: str,
    body: dict[str, int],
    *,
    urls: list[str] | None = None,
    rng: random.Random | None = None,
) -> None:
    """Send the command, and again with the same Idempotency-Key after any failure, until it is answered 200;
    with `urls`, each attempt goes to one of those workers, as through a load balancer."""
    key = {"Idempotency-Key": uuid.uuid4().hex}
    last: object = None
    try:
        async with asyncio.timeout(ACKNOWLEDGED_WITHIN):
            while True:
                if urls:
                    caller.base_url = (rng or random).choice(urls)
                try:
                    answer = await caller.call(method, path, body, headers=key)
                    if answer.status == 200:
                        return
                    last = (answer.status, answer.body)
                except (aiohttp.ClientError, TimeoutError) as error:
                    last = error  # the worker is down: try again
                await asyncio.sleep(0.2)
    except TimeoutError:
        raise AssertionError(f"{method} {path} {key} never acknowledged; last answer: {last!r}") from None


class SteadyLoad:
    """People in labour starting and ending contractions without pause, each command retried until acknowledged."""

    def __init__(self, people: list[Caller], *, urls: list[str] | None = None) -> None:
        self.people, self.urls, self.rng = people, urls, random.Random(11)
        self.acknowledged: Counter[str] = Counter()  # contraction starts answered 200, by person
        self.progress, self.stopping = asyncio.Event(), asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        for each in self.people:
            assert (await each.post("/birthing-person/register")).status == 201
            assert (await each.post("/labour/begin", {"first_labour": True})).status == 200
        self.tasks = [asyncio.create_task(self._contractions(each)) for each in self.people]

    async def _contractions(self, caller: Caller) -> None:
        while not self.stopping.is_set():
            await until_acknowledged(caller, "POST", "/labour/contraction/start", {"intensity": 5},
                                     urls=self.urls, rng=self.rng)  # fmt: skip
            self.acknowledged[caller.id] += 1
            self.progress.set()
            await until_acknowledged(caller, "PUT", "/labour/contraction/end", {"intensity": 5},
                                     urls=self.urls, rng=self.rng)  # fmt: skip

    async def everyone_acknowledged_again(self) -> None:
        """Wait until every person has had a contraction acknowledged since this call."""
        since = self.acknowledged.copy()
        async with asyncio.timeout(ACKNOWLEDGED_WITHIN):
            while any(self.acknowledged[each.id] <= since[each.id] for each in self.people):
                self.progress.clear()
                await self.progress.wait()

    async def stop(self) -> None:
        """Stop after each person's contraction in progress has ended, then check nothing was lost or doubled."""
        self.stopping.set()
        await asyncio.wait_for(asyncio.gather(*self.tasks), timeout=2 * ACKNOWLEDGED_WITHIN)
        for each in self.people:
            contractions = (await each.get("/labour/active")).body["labour"]["contractions"]
            assert len(contractions) == self.acknowledged[each.id], "each acknowledged start made one contraction"
            assert all(c["end_time"] for c in contractions)
