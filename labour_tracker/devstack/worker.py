"""A `labour-tracker worker` (or `mirror follow`) process, configured through the environment like any deployment."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from labour_tracker.devstack.process import free_port, spawn, stop, wait_until

FAUST_LOG_LEVELS = {"DEBUG": "debug", "INFO": "info", "WARNING": "warn", "ERROR": "error"}


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@dataclass
class WorkerProcess:
    env: dict[str, str]
    data_dir: Path
    port: int = field(default_factory=free_port)
    log: Path | None = None  # None: the worker writes to this terminal
    command: tuple[str, ...] = ("worker",)  # or ("mirror", "follow"): a mirror of its own
    module: str = "labour_tracker"  # the Faust app it runs (`python -m module`), answering /api/v1/ready when ready
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None, "start() first"
        return self.process.pid

    def start(self, *, wait_ready: bool = True, timeout: float = 90.0) -> None:
        env = {
            **os.environ,
            "LABOUR_TRACKER_WEB_PORT": str(self.port),
            "LABOUR_TRACKER_DATA_DIR": str(self.data_dir),
            **self.env,
        }
        self.process = spawn(
            [
                sys.executable,
                "-m",
                self.module,
                "--loglevel",
                FAUST_LOG_LEVELS[env.get("LABOUR_TRACKER_LOG_LEVEL", "INFO")],
                *self.command,
            ],
            log=self.log,
            env=env,
        )
        if wait_ready:
            self.start_waiting(timeout=timeout)

    def start_waiting(self, *, timeout: float = 90.0) -> None:
        """Wait until the started process is ready: for a worker, Kafka and PostgreSQL answer and its partitions are
        assigned; for a mirror, PostgreSQL answers and its schema is current."""
        assert self.process is not None, "start() first"
        wait_until(
            lambda: _answers(f"{self.url}/api/v1/ready"), timeout=timeout, what=self.command[0], process=self.process
        )

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process, grace=30.0)
            self.process = None

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        if self.process is not None:
            stop(self.process, sig=signal.SIGKILL, grace=10.0)
            self.process = None
