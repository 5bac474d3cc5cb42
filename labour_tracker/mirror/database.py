"""The connection pool to PostgreSQL, opened lazily so the service starts (and says so) while Postgres is down."""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg


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

    async def close(self) -> None:
        if self._pool is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._pool.close(), timeout=5)
            self._pool = None
