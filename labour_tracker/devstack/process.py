"""Child processes of the local stack: free ports, readiness polling, and stopping without leftovers."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cache_dir() -> Path:
    """Downloads kept across clones and runs (Kafka's jars), outside any work tree."""
    base = os.environ.get("LABOUR_TRACKER_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "labour-tracker"
    )
    path = Path(base)
    path.mkdir(parents=True, exist_ok=True)
    return path


def wait_until(ready: Callable[[], bool], *, timeout: float, what: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode} before it was ready")
        if ready():
            return
        time.sleep(0.1)
    raise TimeoutError(f"{what} was not ready within {timeout:.0f} s")


def port_open(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True
    return False


def stop(process: subprocess.Popen[bytes], *, sig: int = signal.SIGTERM, grace: float = 30.0) -> None:
    """Ask the process (and its process group) to stop, then kill it if it will not."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


PID_FILE = "LABOUR_TRACKER_PID_FILE"


def spawn(args: list[str], *, log: Path | None, **kwargs: object) -> subprocess.Popen[bytes]:
    """Start a child in its own process group, so stopping it stops everything it started.

    With LABOUR_TRACKER_PID_FILE set, the child is recorded there, so `reap` can end it if its owner died.
    """
    recorded = os.environ.get(PID_FILE)
    # Opened before the child starts: a record that cannot be written must not leave a child no one can reap.
    with open(recorded, "a") if recorded else contextlib.nullcontext() as pids:
        if log is None:
            process = subprocess.Popen(args, stdin=subprocess.DEVNULL, start_new_session=True, **kwargs)  # type: ignore[call-overload]
        else:
            log.parent.mkdir(parents=True, exist_ok=True)
            with log.open("ab") as out:
                process = subprocess.Popen(  # type: ignore[call-overload]
                    args,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                    **kwargs,
                )
        if pids is not None:
            pids.write(f"{process.pid}\n")
    return process  # type: ignore[no-any-return]


def reap(pid_file: Path) -> list[int]:
    """End every recorded process group still alive; returns the ones that were."""
    if not pid_file.exists():
        return []
    alive = []
    for line in pid_file.read_text().split():
        pid = int(line)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
            alive.append(pid)
    pid_file.unlink()
    return alive
