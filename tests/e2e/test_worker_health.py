"""A real worker process on the real broker and database answers liveness, and readiness tells what is down."""

from __future__ import annotations

import json
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from labour_tracker.devstack.kafka import KafkaBroker
from labour_tracker.devstack.postgres import PostgresCluster
from labour_tracker.devstack.worker import WorkerProcess
from tests.e2e.conftest import coroutine_waits


def _get(url: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def own_postgres() -> Iterator[PostgresCluster]:
    """A cluster of this test's own, so stopping it disturbs no other test."""
    cluster = PostgresCluster(Path(tempfile.mkdtemp(prefix="labour-tracker-postgres-")) / "postgres")
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture
def worker(kafka: KafkaBroker, own_postgres: PostgresCluster, tmp_path: Path) -> Iterator[WorkerProcess]:
    process = WorkerProcess(
        env={
            "LABOUR_TRACKER_KAFKA_BOOTSTRAP": kafka.bootstrap,
            "LABOUR_TRACKER_DATABASE_URL": own_postgres.dsn,
            "LABOUR_TRACKER_STORE": "memory://",
            "LABOUR_TRACKER_APP_ID": f"health-{tmp_path.name}",
        },
        data_dir=tmp_path / "worker",
        log=tmp_path / "worker.log",
    )
    process.start()
    yield process
    process.stop()


def test_the_worker_is_live_and_ready_when_kafka_and_postgres_answer(worker: WorkerProcess) -> None:
    assert _get(f"{worker.url}/api/v1/health") == (200, {"status": "ok"})
    assert _get(f"{worker.url}/api/v1/ready") == (
        200,
        {"status": "ready", "checks": {"kafka": "up", "postgres": "up", "worker": "serving"}},
    )


def test_readiness_reports_postgres_down_and_recovers_when_it_returns(
    worker: WorkerProcess, own_postgres: PostgresCluster
) -> None:
    own_postgres.stop()
    status, body = _get(f"{worker.url}/api/v1/ready")
    assert (status, body["checks"]) == (503, {"kafka": "up", "postgres": "down", "worker": "serving"})
    assert _get(f"{worker.url}/api/v1/health")[0] == 200
    own_postgres.start()
    assert _get(f"{worker.url}/api/v1/ready")[0] == 200


def test_faust_web_introspection_stays_available(worker: WorkerProcess) -> None:
    with urllib.request.urlopen(f"{worker.url}/router/", timeout=5) as response:
        assert response.status == 200


async def test_sigusr2_writes_where_each_coroutine_waits_to_the_log(worker: WorkerProcess) -> None:
    waits = await coroutine_waits(worker)
    # Each agent, down to the await it is suspended in (not just the task's outer coroutine).
    assert any("notification_sender_agent" in line and "handle" not in line and "events" in line for line in waits)
    assert any(line.count(" <- ") >= 3 and "decide (" in line for line in waits), waits[:5]
    assert worker.process is not None and worker.process.poll() is None, "the worker goes on"
