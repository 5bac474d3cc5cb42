"""Waiting for what follows through Kafka: the other side of a subscription, the mirror, a compaction."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(check: Callable[[], Awaitable[T]], *, within: float = 30.0, what: str = "it") -> T:
    """The first truthy result of `check`, asked again every 0.1 s; fails after `within` seconds."""
    deadline = time.monotonic() + within
    while not (found := await check()):
        assert time.monotonic() < deadline, f"{what} did not happen within {within:.0f} s"
        await asyncio.sleep(0.1)
    return found
