"""What every fault test checks afterwards: the event logs, the tables and the mirror agree (`labour-tracker check`)."""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
import uuid
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
