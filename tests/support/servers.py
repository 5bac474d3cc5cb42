"""Servers a test owns: each in a directory of its own, started, and stopped afterwards even if starting failed."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol, TypeVar


class Server(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...


S = TypeVar("S", bound=Server)


def new_dir(name: str) -> Path:
    """A new directory for `name` in the run's (tests/conftest.py makes that the temporary directory): servers'
    data, workers' data and logs, keys. PostgreSQL runs as its own user when the tests run as root, so its directory
    must not sit in a private one such as pytest's `tmp_path`."""
    return Path(tempfile.mkdtemp(prefix=f"labour-tracker-{name}-"))


@contextmanager
def serving(server: S) -> Iterator[S]:
    """`server`, started; stopped afterwards."""
    try:
        server.start()
        yield server
    finally:
        server.stop()


@contextmanager
def own_server(kind: Callable[[Path], S], name: str) -> Iterator[S]:
    """A server of `kind` (KafkaBroker, PostgresCluster, SftpServer) with data of its own, started; stopped
    afterwards."""
    with serving(kind(new_dir(name) / name)) as server:
        yield server
