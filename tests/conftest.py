"""Session fixtures that own the real servers (Apache Kafka, PostgreSQL and SFTP on loopback), and a fake Twilio.

Each starts only when a test asks for it, so the unit tests start nothing.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from labour_tracker.devstack.kafka import KafkaBroker
from labour_tracker.devstack.postgres import PostgresCluster
from labour_tracker.devstack.sftp import SftpServer
from tests.fakes.twilio_api import FakeTwilio

RUN_DIRECTORY = pytest.StashKey[Path]()


def pytest_configure(config: pytest.Config) -> None:
    """Every temporary directory of the run (servers' data, workers' logs) in one, removed when the run passes."""
    run = Path(tempfile.mkdtemp(prefix="labour-tracker-tests-"))
    run.chmod(0o755)  # PostgreSQL, running as its own user, must reach its directory inside
    tempfile.tempdir = str(run)
    config.stash[RUN_DIRECTORY] = run


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    run = session.config.stash[RUN_DIRECTORY]
    if exitstatus == 0:
        shutil.rmtree(run, ignore_errors=True)
    else:
        print(f"\nthe run's servers' data and workers' logs are kept in {run}")


def _server_dir(name: str) -> Path:
    # PostgreSQL runs as its own user when the tests run as root, so its directory must not sit in a private one.
    return Path(tempfile.mkdtemp(prefix=f"labour-tracker-{name}-"))


@pytest.fixture(scope="session")
def kafka() -> Iterator[KafkaBroker]:
    broker = KafkaBroker(_server_dir("kafka") / "kafka")
    try:
        broker.start()
        yield broker
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster(_server_dir("postgres") / "postgres")
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def sftp() -> Iterator[SftpServer]:
    server = SftpServer(_server_dir("sftp") / "sftp")
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def twilio_api() -> Iterator[FakeTwilio]:
    """A fake Twilio Messages API on loopback, fresh for each test module."""
    server = FakeTwilio()
    server.start()
    try:
        yield server
    finally:
        server.stop()
