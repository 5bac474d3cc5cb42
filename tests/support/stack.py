"""Deployments of the service on the session's servers: a Stack (what every worker of one deployment shares), its
worker processes, and what tests ask of a running worker."""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from labour_tracker.devstack.kafka import KafkaBroker
from labour_tracker.devstack.postgres import PostgresCluster
from labour_tracker.devstack.worker import WorkerProcess
from labour_tracker.identity.local_key import load_or_create_local_key
from tests.support.api import MakeCaller, caller_factory
from tests.support.servers import new_dir

# LABOUR_TRACKER_MAX_MESSAGE_BYTES of the `small_messages` deployment: a few notes of 2,000 bytes fill a record,
# where the domain's limits alone would never let one grow this far.
SMALL_MESSAGE_BYTES = 8192


@dataclass(frozen=True)
class Stack:
    """What every worker of one test deployment shares: the broker, the database, topic names, signing key."""

    env: dict[str, str]
    signing_key: Path

    def worker(self, name: str, *, command: tuple[str, ...] = ("worker",), **env: str) -> WorkerProcess:
        directory = new_dir(name)
        return WorkerProcess(
            env={**self.env, **env}, data_dir=directory / "data", log=directory / "worker.log", command=command
        )

    @contextmanager
    def running(self, name: str) -> Iterator[WorkerProcess]:
        """A worker of this deployment, started and ready; stopped afterwards."""
        worker = self.worker(name)
        try:
            worker.start()
            yield worker
        finally:
            worker.stop()


def new_stack(kafka: KafkaBroker, postgres: PostgresCluster, **env: str) -> Stack:
    """A deployment of its own on the shared servers: its own consumer group and topics."""
    deployment = uuid.uuid4().hex[:8]
    key = new_dir("key") / "signing-key.pem"
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
            "LABOUR_TRACKER_SUBSCRIPTION_TOKEN_SECRET": f"stack-{deployment}-{uuid.uuid4().hex}",
            # Stories are told faster than a person lives them: tests/e2e/test_caps.py has a worker with the caps.
            "LABOUR_TRACKER_COMMANDS_PER_MINUTE": "0",
            "LABOUR_TRACKER_LABOURS_PER_DAY": "0",
            "LABOUR_TRACKER_MESSAGES_PER_DESTINATION_PER_HOUR": "0",
            **env,
        },
        signing_key=key,
    )


@dataclass
class Deployment:
    """A stack and its one worker, running."""

    stack: Stack
    worker: WorkerProcess

    @classmethod
    @contextmanager
    def running(cls, stack: Stack, name: str) -> Iterator[Deployment]:
        """A worker of `stack` named `name`, started, and stopped afterwards."""
        with stack.running(name) as worker:
            yield cls(stack, worker)

    def topic(self, suffix: str) -> str:
        return f"{self.stack.env['LABOUR_TRACKER_TOPIC_PREFIX']}.{suffix}"

    @property
    def log(self) -> Path:
        assert self.worker.log is not None
        return self.worker.log

    def callers(self, http: aiohttp.ClientSession) -> MakeCaller:
        """Callers of the worker, with tokens it trusts."""
        return caller_factory(self.stack, http, self.worker.url)


def worker_name(request: pytest.FixtureRequest) -> str:
    """The name of the requesting test module, for a worker of its own (`test_notifications`: `test-notifications`)."""
    return str(request.module.__name__).rpartition(".")[2].replace("_", "-")


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


async def ready(http: aiohttp.ClientSession, worker: WorkerProcess) -> bool:
    """Whether the worker answers that it is ready (its partitions assigned); False while it cannot be reached."""
    try:
        async with http.get(f"{worker.url}/api/v1/ready") as answer:
            return answer.status == 200
    except aiohttp.ClientError:
        return False


async def coroutine_waits(worker: WorkerProcess) -> list[str]:
    """Where each of the worker's coroutines waits now: SIGUSR2 makes it log a line for each."""
    assert worker.process is not None and worker.log is not None
    logged = len(worker.log.read_text().splitlines())
    worker.process.send_signal(signal.SIGUSR2)
    await asyncio.sleep(2)
    return [line for line in worker.log.read_text().splitlines()[logged:] if " waits in " in line]


async def scrape(http: aiohttp.ClientSession, worker: WorkerProcess) -> dict[str, list[tuple[dict[str, str], float]]]:
    """The worker's Prometheus metrics, fetched without a token: each sample by name, with its labels."""
    async with http.get(f"{worker.url}/api/v1/metrics") as answer:  # no Authorization header
        assert answer.status == 200
        text = await answer.text()
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for each in family.samples:
            found.setdefault(each.name, []).append((each.labels, each.value))
    return found


class SameProcess:
    """The worker's process when the test began: it must still be that one, running, at the end."""

    def __init__(self, worker: WorkerProcess) -> None:
        assert worker.process is not None
        self.worker, self.process, self.pid = worker, worker.process, worker.pid

    def check(self) -> None:
        assert self.worker.process is self.process, "the worker was restarted"
        assert self.worker.pid == self.pid
        assert self.process.poll() is None, f"the worker exited with {self.process.returncode}"
