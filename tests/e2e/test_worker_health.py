"""A real worker process on the real broker and database answers liveness, and readiness tells what is down."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from labour_tracker.devstack.kafka import KafkaBroker
from labour_tracker.devstack.postgres import PostgresCluster
from labour_tracker.devstack.worker import WorkerProcess
from tests.support.servers import own_server
from tests.support.stack import coroutine_waits, new_stack


def _get(url: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def own_postgres() -> Iterator[PostgresCluster]:
    """A cluster of this test's own, so stopping it disturbs no other test."""
    with own_server(PostgresCluster, "postgres") as cluster:
        yield cluster


@pytest.fixture
def own_worker(kafka: KafkaBroker, own_postgres: PostgresCluster) -> Iterator[WorkerProcess]:
    """A worker of this test's own, on its own PostgreSQL."""
    with new_stack(kafka, own_postgres).running("health") as process:
        yield process


def test_the_worker_is_live_and_ready_when_kafka_and_postgres_answer(own_worker: WorkerProcess) -> None:
    assert _get(f"{own_worker.url}/api/v1/health") == (200, {"status": "ok"})
    assert _get(f"{own_worker.url}/api/v1/ready") == (
        200,
        {"status": "ready", "checks": {"kafka": "up", "postgres": "up", "worker": "serving", "live": "following"}},
    )


def test_readiness_reports_postgres_down_and_recovers_when_it_returns(
    own_worker: WorkerProcess, own_postgres: PostgresCluster
) -> None:
    own_postgres.stop()
    status, body = _get(f"{own_worker.url}/api/v1/ready")
    assert (status, body["checks"]) == (
        503,
        {"kafka": "up", "postgres": "down", "worker": "serving", "live": "following"},
    )
    assert _get(f"{own_worker.url}/api/v1/health")[0] == 200
    own_postgres.start()
    assert _get(f"{own_worker.url}/api/v1/ready")[0] == 200


async def test_sigusr2_writes_where_each_coroutine_waits_to_the_log(own_worker: WorkerProcess) -> None:
    waits = await coroutine_waits(own_worker)
    # Each agent, down to the await it is suspended in (not just the task's outer coroutine).
    assert any("notification_sender_agent" in line and "handle" not in line and "events" in line for line in waits)
    assert any(line.count(" <- ") >= 3 and "decide (" in line for line in waits), waits[:5]
    assert own_worker.process is not None and own_worker.process.poll() is None, "the worker goes on"
