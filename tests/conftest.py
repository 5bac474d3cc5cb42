"""Session fixtures that own the real servers (Apache Kafka, PostgreSQL and SFTP on loopback), and a fake Twilio;
a deployment of the service of a test module's own on them; an HTTP client; and the system's Chromium with phones
opened in it.

Each starts only when a test asks for it, so the unit tests start nothing.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from hypothesis import settings
from playwright.async_api import Browser

from labour_tracker.devstack.kafka import KafkaBroker
from labour_tracker.devstack.postgres import PostgresCluster
from labour_tracker.devstack.sftp import SftpServer
from labour_tracker.devstack.worker import WorkerProcess
from tests.fakes.twilio_api import FakeTwilio
from tests.support.browser import OpenPhone, chromium, phones
from tests.support.servers import own_server, serving
from tests.support.stack import SMALL_MESSAGE_BYTES, Deployment, Stack, new_stack, side_by_side, worker_name

RUN_DIRECTORY = pytest.StashKey[Path]()

# Property tests check what holds, not how fast: on a loaded machine a case's time says nothing (benchmarks measure).
settings.register_profile("properties", deadline=None)
settings.load_profile("properties")


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


@pytest.fixture(scope="session")
def kafka() -> Iterator[KafkaBroker]:
    with own_server(KafkaBroker, "kafka") as broker:
        yield broker


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    with own_server(PostgresCluster, "postgres") as cluster:
        yield cluster


@pytest.fixture(scope="session")
def sftp() -> Iterator[SftpServer]:
    with own_server(SftpServer, "sftp") as server:
        yield server


@pytest.fixture(scope="module")
def twilio_api() -> Iterator[FakeTwilio]:
    """A fake Twilio Messages API on loopback, fresh for each test module."""
    with serving(FakeTwilio()) as server:
        yield server


@pytest.fixture(scope="module")
def own_deployment(
    request: pytest.FixtureRequest, kafka: KafkaBroker, postgres: PostgresCluster
) -> Iterator[Deployment]:
    """A deployment of the test module's own on the session's broker and database, its one worker running."""
    with Deployment.running(new_stack(kafka, postgres), worker_name(request)) as deployed:
        yield deployed


@pytest.fixture(scope="module")
def small_messages(
    request: pytest.FixtureRequest, kafka: KafkaBroker, postgres: PostgresCluster
) -> Iterator[Deployment]:
    """Likewise, with Kafka messages of at most SMALL_MESSAGE_BYTES: a record holds only a few notes."""
    stack = new_stack(kafka, postgres, LABOUR_TRACKER_MAX_MESSAGE_BYTES=str(SMALL_MESSAGE_BYTES))
    with Deployment.running(stack, worker_name(request)) as deployed:
        yield deployed


@pytest.fixture(scope="module")
def two_workers(
    request: pytest.FixtureRequest, kafka: KafkaBroker, postgres: PostgresCluster
) -> Iterator[tuple[Stack, list[WorkerProcess]]]:
    """A deployment of the test module's own whose two workers share six partitions of every topic, both running."""
    stack = new_stack(kafka, postgres, LABOUR_TRACKER_TOPIC_PARTITIONS="6")
    name = worker_name(request)
    with side_by_side(stack, f"{name}-first", f"{name}-second") as workers:
        yield stack, workers


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        yield session


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as launched:
        yield launched


@pytest.fixture
async def phone(browser: Browser) -> AsyncIterator[OpenPhone]:
    async with phones(browser) as open_one:
        yield open_one
