"""The connection pool to PostgreSQL, opened lazily so the service starts (and says so) while Postgres is down."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg

log = logging.getLogger(__name__)

T = TypeVar("T")

FIRST_RETRY, LAST_RETRY = 0.2, 10.0  # seconds between tries while PostgreSQL is away: doubling, with jitter
# InternalClientError: asyncpg's state for a connection cut mid-operation (MagicStack/asyncpg#784).
UNREACHABLE = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError)
# What a read may meet while PostgreSQL is away, restarting, full, or not yet migrated; any other error is a bug.
UNAVAILABLE = (
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    asyncpg.PostgresConnectionError,
    asyncpg.OperatorInterventionError,
    asyncpg.InsufficientResourcesError,
    asyncpg.UndefinedTableError,
)


class Database:
    def __init__(self, dsn: str, *, max_size: int = 10) -> None:
        self._dsn = dsn
        self._max_size = max_size
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()

    async def pool(self) -> asyncpg.Pool:
        async with self._opening:
            if self._pool is None:
                self._pool = await asyncpg.create_pool(self._dsn, min_size=1, max_size=self._max_size, timeout=5)
            return self._pool

    async def answers(self, *, within: float = 2.0) -> bool:
        try:
            async with asyncio.timeout(within):
                pool = await self.pool()
                return bool(await pool.fetchval("SELECT 1") == 1)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
            return False

    async def patiently(
        self, work: Callable[[asyncpg.Connection], Awaitable[T]], stopping: asyncio.Event, doing: str
    ) -> tuple[bool, T | None]:
        """Run `work` on a connection until it succeeds, waiting out PostgreSQL's absence with backoff.

        Returns (True, its result), or (False, None) when `stopping` is set first. Errors `work` lets through
        are taken for PostgreSQL being away; `work` must leave nothing half done when it raises.
        """
        delay = FIRST_RETRY
        while not stopping.is_set():
            try:
                pool = await self.pool()
                async with pool.acquire() as connection:
                    try:
                        return True, await work(connection)
                    except UNREACHABLE:
                        connection.terminate()  # it may be unusable now; the pool opens a fresh one
                        raise
            except UNREACHABLE as error:
                log.warning("%s waits for PostgreSQL (%s); next try in about %.1fs", doing, type(error).__name__, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, LAST_RETRY)
        return False, None

    async def close(self) -> None:
        if self._pool is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._pool.close(), timeout=5)
            self._pool = None
