"""The deployment of a notification fault test: the session's servers, unless its module overrides `database`,
`relay` or `twilio` with one of its own to stop. The load and the checks afterwards are in tests/support/load.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from labour_tracker.devstack.kafka import KafkaBroker
from labour_tracker.devstack.postgres import PostgresCluster
from labour_tracker.devstack.sftp import SftpServer
from tests.fakes.twilio_api import FakeTwilio
from tests.support.notifications import NotifyingDeployment
from tests.support.stack import worker_name

# Retries start at 0.05 s and double (half fixed, half random, each wait at most 30 s): a notification gives up only
# after more than 40 s of retries, far longer than these tests' faults (5 to 7 s), and once such a fault is over the
# notification in flight waits at most about as long again before it is tried once more.
RETRIES = {"LABOUR_TRACKER_NOTIFY_MAX_ATTEMPTS": "12", "LABOUR_TRACKER_NOTIFY_RETRY_DELAY": "0.05"}


@pytest.fixture(scope="module")
def database(postgres: PostgresCluster) -> PostgresCluster:
    return postgres


@pytest.fixture(scope="module")
def relay(sftp: SftpServer) -> SftpServer:
    """The mail relay's SFTP server."""
    return sftp


@pytest.fixture(scope="module")
def twilio(twilio_api: FakeTwilio) -> FakeTwilio:
    """The SMS provider: a fake Twilio."""
    return twilio_api


@pytest.fixture(scope="module")
def notifying(
    request: pytest.FixtureRequest,
    kafka: KafkaBroker,
    database: PostgresCluster,
    twilio: FakeTwilio,
    relay: SftpServer,
) -> Iterator[NotifyingDeployment]:
    """A deployment and its worker, sending SMS through `twilio` and emails to `relay`."""
    with NotifyingDeployment.running_on(kafka, database, twilio, relay, worker_name(request), **RETRIES) as deployed:
        yield deployed
