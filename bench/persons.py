"""Birthing persons as a benchmark drives them: each one's token, and their commands through the HTTP API."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

import aiohttp

from labour_tracker.identity.local_key import issue_local_token, load_or_create_local_key


class Persons:
    """Persons `prefix-0`, `prefix-1`, … of a worker at `url`, signed in with local tokens (made when first used)."""

    def __init__(self, session: aiohttp.ClientSession, url: str, key_file: Path, prefix: str) -> None:
        self.session = session
        self.url = url
        self.prefix = prefix
        self._key = load_or_create_local_key(key_file)
        self._tokens: dict[int, str] = {}

    def token(self, n: int) -> str:
        found = self._tokens.get(n)
        if found is None:
            found = self._tokens[n] = issue_local_token(
                self._key, audience="labour-tracker", sub=f"{self.prefix}-{n}", given_name="B", family_name=str(n)
            )
        return found

    def forget(self, n: int) -> None:
        """Drop person n's token: a benchmark of many persons need not keep them all."""
        self._tokens.pop(n, None)

    async def call(self, n: int, method: str, path: str, body: Any = None) -> None:
        """One request of person n; an answer other than 2xx raises RuntimeError naming it."""
        headers = {"Authorization": f"Bearer {self.token(n)}"}
        async with self.session.request(method, f"{self.url}/api/v1{path}", json=body, headers=headers) as answer:
            content = await answer.read()
            if answer.status >= 300:
                raise RuntimeError(f"{self.prefix}-{n}: {method} {path}: {answer.status} {content[:300]!r}")

    async def register(self, n: int) -> None:
        await self.call(n, "POST", "/birthing-person/register")

    async def begin_labour(self, n: int, *, first_labour: bool = True, start_time: str | None = None) -> None:
        body: dict[str, Any] = {"first_labour": first_labour}
        if start_time is not None:
            body["start_time"] = start_time
        await self.call(n, "POST", "/labour/begin", body)

    async def start_contraction(self, n: int, *, start_time: str | None = None) -> None:
        await self.call(
            n, "POST", "/labour/contraction/start", {} if start_time is None else {"start_time": start_time}
        )

    async def end_contraction(self, n: int, *, intensity: int = 5, end_time: str | None = None) -> None:
        body: dict[str, Any] = {"intensity": intensity}
        if end_time is not None:
            body["end_time"] = end_time
        await self.call(n, "PUT", "/labour/contraction/end", body)

    async def complete_labour(self, n: int, *, end_time: str | None = None) -> None:
        await self.call(n, "PUT", "/labour/complete", {} if end_time is None else {"end_time": end_time})


def session(in_flight: int) -> aiohttp.ClientSession:
    """An HTTP client session with room for `in_flight` requests at once."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=in_flight * 2), timeout=aiohttp.ClientTimeout(total=120)
    )


async def gather_bounded(jobs: Iterable[int], in_flight: int, job: Callable[[int], Awaitable[None]]) -> None:
    """job(n) for each n of `jobs`, at most `in_flight` at once."""
    lane = asyncio.Semaphore(in_flight)

    async def one(n: int) -> None:
        async with lane:
            await job(n)

    await asyncio.gather(*(one(n) for n in jobs))
