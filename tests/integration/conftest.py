"""A worker of its own per test module, on the session's broker and database, for tests that drive Kafka directly."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from labour_tracker.devstack.kafka import KafkaBroker
from labour_tracker.devstack.postgres import PostgresCluster
from labour_tracker.devstack.worker import WorkerProcess
from tests.e2e.conftest import Stack, new_stack


@pytest.fixture(scope="module")
def deployment(kafka: KafkaBroker, postgres: PostgresCluster) -> Iterator[tuple[Stack, WorkerProcess]]:
    stack = new_stack(kafka, postgres)
    worker = stack.worker("integration")
    worker.start()
    yield stack, worker
    worker.stop()
