"""A real Keycloak with the realm compose imports, and a worker of the service that takes its tokens."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from labour_tracker.devstack.kafka import KafkaBroker
from labour_tracker.devstack.keycloak import KeycloakServer
from labour_tracker.devstack.postgres import PostgresCluster
from labour_tracker.devstack.worker import WorkerProcess
from tests.support.servers import new_dir
from tests.support.stack import new_stack


@contextmanager
def keycloak_beside_worker(
    kafka: KafkaBroker, postgres: PostgresCluster, name: str
) -> Iterator[tuple[KeycloakServer, WorkerProcess]]:
    """Keycloak and a worker given only its issuer, as in docker-compose.yml; the realm's clients sign in back to
    this worker's pages (its API page and web app), as compose's do. Both stopped afterwards."""
    keycloak = KeycloakServer(new_dir(name))
    # A generous reply timeout: Keycloak starting beside the worker can hold up its first command on a busy machine.
    stack = new_stack(kafka, postgres, LABOUR_TRACKER_OIDC_ISSUER=keycloak.issuer, LABOUR_TRACKER_REPLY_TIMEOUT="30")
    worker = stack.worker(name)
    keycloak.api_url = worker.url
    try:
        keycloak.start(wait=False)  # both start at once: the worker asks Keycloak for keys only on a first token
        worker.start()
        keycloak.wait_ready()
        yield keycloak, worker
    finally:
        worker.stop()
        keycloak.stop()
