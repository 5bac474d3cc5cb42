"""A real worker process on the session's broker and database, and callers with tokens it trusts."""

from __future__ import annotations

import asyncio
import signal
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from labour_tracker.devstack.kafka import KafkaBroker
from labour_tracker.devstack.postgres import PostgresCluster
from labour_tracker.devstack.worker import WorkerProcess
from labour_tracker.identity.local_key import issue_local_token, load_or_create_local_key


@dataclass(frozen=True)
class Stack:
    """What every worker of one test deployment shares: the broker, the database, topic names, signing key."""

    env: dict[str, str]
    signing_key: Path

    def worker(self, name: str, *, command: tuple[str, ...] = ("worker",), **env: str) -> WorkerProcess:
        directory = Path(tempfile.mkdtemp(prefix=f"labour-tracker-{name}-"))
        return WorkerProcess(
            env={**self.env, **env}, data_dir=directory / "data", log=directory / "worker.log", command=command
        )


async def coroutine_waits(worker: WorkerProcess) -> list[str]:
    """Where each of the worker's coroutines waits now: SIGUSR2 makes it log a line for each."""
    assert worker.process is not None and worker.log is not None
    logged = len(worker.log.read_text().splitlines())
    worker.process.send_signal(signal.SIGUSR2)
    await asyncio.sleep(2)
    return [line for line in worker.log.read_text().splitlines()[logged:] if " waits in " in line]


def new_stack(kafka: KafkaBroker, postgres: PostgresCluster, **env: str) -> Stack:
    """A deployment of its own on the shared servers: its own consumer group and topics."""
    deployment = uuid.uuid4().hex[:8]
    key = Path(tempfile.mkdtemp(prefix="labour-tracker-key-")) / "signing-key.pem"
    load_or_create_local_key(key)
    return Stack(
        env={
            "LABOUR_TRACKER_KAFKA_BOOTSTRAP": kafka.bootstrap,
            "LABOUR_TRACKER_DATABASE_URL": postgres.dsn,
            "LABOUR_TRACKER_STORE": "memory://",
            "LABOUR_TRACKER_APP_ID": f"labour-tracker-{deployment}",
            "LABOUR_TRACKER_TOPIC_PREFIX": f"lt_{deployment}",
            "LABOUR_TRACKER_TOPIC_PARTITIONS": "4",
            "LABOUR_TRACKER_MIRROR_SCHEMA": f"mirror_{deployment}",
            "LABOUR_TRACKER_LOCAL_SIGNING_KEY": str(key),
            **env,
        },
        signing_key=key,
    )


@contextmanager
def side_by_side(stack: Stack, *names: str) -> Iterator[list[WorkerProcess]]:
    """Workers of one deployment started together, each ready before this yields, all stopped afterwards."""
    workers = [stack.worker(name) for name in names]
    for each in workers:
        each.start(wait_ready=False)
    try:
        for each in workers:
            each.start_waiting()
        yield workers
    finally:
        for each in workers:
            each.stop()


@pytest.fixture(scope="session")
def stack(kafka: KafkaBroker, postgres: PostgresCluster) -> Stack:
    return new_stack(kafka, postgres)


@pytest.fixture(scope="session")
def worker(stack: Stack) -> Iterator[WorkerProcess]:
    """One worker shared by the e2e tests; each test works on people of its own."""
    process = stack.worker("e2e")
    process.start()
    yield process
    process.stop()


@dataclass
class Response:
    status: int
    body: Any
    headers: Any


class Caller:
    """Someone using the API with their own token."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str, token: str, user_id: str) -> None:
        self.session, self.base_url, self.token, self.id = session, base_url, token, user_id

    async def call(
        self, method: str, path: str, json: Any = None, *, headers: dict[str, str] | None = None, data: Any = None
    ) -> Response:
        all_headers = {"Authorization": f"Bearer {self.token}", **(headers or {})}
        async with self.session.request(
            method, f"{self.base_url}/api/v1{path}", json=json, data=data, headers=all_headers
        ) as answer:
            if answer.content_length == 0:
                body = None
            elif answer.content_type == "text/plain":  # the metrics
                body = await answer.text()
            else:
                body = await answer.json(content_type=None)
            return Response(answer.status, body, answer.headers)

    async def get(self, path: str, **kwargs: Any) -> Response:
        return await self.call("GET", path, **kwargs)

    async def post(self, path: str, json: Any = None, **kwargs: Any) -> Response:
        return await self.call("POST", path, json, **kwargs)

    async def put(self, path: str, json: Any = None, **kwargs: Any) -> Response:
        return await self.call("PUT", path, json, **kwargs)


MakeCaller = Callable[..., Caller]


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        yield session


def caller_factory(stack: Stack, session: aiohttp.ClientSession, base_url: str) -> MakeCaller:
    key = load_or_create_local_key(stack.signing_key)

    def make(
        given_name: str = "Alex",
        family_name: str = "Doe",
        *,
        email: str | None = None,
        phone_number: str | None = None,
        user_id: str | None = None,
        url: str | None = None,
    ) -> Caller:
        sub = user_id or f"user-{uuid.uuid4().hex[:12]}"
        token = issue_local_token(
            key,
            audience="labour-tracker",
            sub=sub,
            given_name=given_name,
            family_name=family_name,
            email=email,
            phone_number=phone_number,
        )
        return Caller(session, url or base_url, token, sub)

    return make


@pytest.fixture
def person(stack: Stack, worker: WorkerProcess, http: aiohttp.ClientSession) -> MakeCaller:
    """A new, unregistered user of the shared worker for each call."""
    return caller_factory(stack, http, worker.url)
