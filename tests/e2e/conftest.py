"""A real worker process on the session's broker and database, shared by the e2e tests, and callers with tokens it
trusts (tests/support holds what these are built from)."""

from __future__ import annotations

from collections.abc import Iterator

import aiohttp
import pytest

from labour_tracker.devstack.kafka import KafkaBroker
from labour_tracker.devstack.postgres import PostgresCluster
from labour_tracker.devstack.worker import WorkerProcess
from tests.support.api import MakeCaller
from tests.support.stack import Deployment, Stack, new_stack


@pytest.fixture(scope="session")
def stack(kafka: KafkaBroker, postgres: PostgresCluster) -> Stack:
    return new_stack(kafka, postgres)


@pytest.fixture(scope="session")
def worker(stack: Stack) -> Iterator[WorkerProcess]:
    """One worker shared by the e2e tests; each test works on people of its own."""
    with stack.running("e2e") as process:
        yield process


@pytest.fixture(scope="session")
def deployment(stack: Stack, worker: WorkerProcess) -> Deployment:
    """The shared worker. A module with a deployment of its own overrides this fixture, and `person` calls that."""
    return Deployment(stack, worker)


@pytest.fixture
def person(deployment: Deployment, http: aiohttp.ClientSession) -> MakeCaller:
    """A new, unregistered user of the deployment for each call."""
    return deployment.callers(http)
