"""A private PostgreSQL cluster: initialised in a directory of its own, served on a loopback port, then stopped."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labour_tracker.devstack.process import free_port, spawn, stop, wait_until

DATABASE = "labour_tracker"
USER = "labour_tracker"


def postgres_bin_dir() -> Path:
    """The machine's PostgreSQL server binaries: on PATH, or Debian's /usr/lib/postgresql/<version>/bin."""
    on_path = shutil.which("postgres")
    if on_path:
        return Path(os.path.realpath(on_path)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(p.split("/")[4]))
    if not candidates:
        raise RuntimeError("PostgreSQL server binaries not found: install Debian's 'postgresql' package")
    return Path(candidates[-1]).parent


def _as_server_user() -> dict[str, Any]:
    """PostgreSQL refuses to run as root, so as root it runs as the `postgres` system user."""
    if os.geteuid() != 0:
        return {}
    return {"user": "postgres", "group": "postgres", "extra_groups": []}


@dataclass
class PostgresCluster:
    data_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def dsn(self) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{DATABASE}"

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [str(postgres_bin_dir() / tool), *args],
            check=True,
            stdout=subprocess.DEVNULL,
            **_as_server_user(),
        )

    def _own(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            server = pwd.getpwnam("postgres")
            os.chown(path, server.pw_uid, server.pw_gid)
            os.chmod(path.parent, os.stat(path.parent).st_mode | 0o711)  # let the server user reach its directory

    def start(self, *, timeout: float = 60.0) -> None:
        cluster = self.data_dir / "data"
        sockets = self.data_dir / "sockets"
        self._own(self.data_dir)
        self._own(sockets)
        if not (cluster / "PG_VERSION").exists():
            self._own(cluster)
            self._run("initdb", "-D", str(cluster), "-U", USER, "-A", "trust", "-E", "UTF8", "--no-sync")
        self.process = spawn(
            [
                str(postgres_bin_dir() / "postgres"), "-D", str(cluster), "-p", str(self.port),
                "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={sockets}",
                "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
            ],
            log=self.data_dir / "postgres.log",
            **_as_server_user(),
        )  # fmt: skip
        wait_until(self._accepts_connections, timeout=timeout, what="PostgreSQL", process=self.process)
        self._create_database()

    def _accepts_connections(self) -> bool:
        ready = subprocess.run(
            [str(postgres_bin_dir() / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)],
            check=False,
        )
        return ready.returncode == 0

    def _create_database(self) -> None:
        exists = subprocess.run(
            [str(postgres_bin_dir() / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, "-d", "postgres",
             "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'"],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        if not exists.stdout.strip():
            self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, DATABASE)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process, sig=signal.SIGINT, grace=30.0)  # SIGINT: PostgreSQL's fast shutdown
            self.process = None
