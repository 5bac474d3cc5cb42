"""Every process the stack starts is recorded for `reap`; one whose record cannot be written is never started."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest

from labour_tracker.devstack.process import PID_FILE, reap, spawn, stop


def running(marker: str) -> bool:
    return subprocess.run(["pgrep", "-f", marker], capture_output=True, check=False).returncode == 0


def test_a_spawned_process_is_recorded_and_reaped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pids = tmp_path / "pids"
    monkeypatch.setenv(PID_FILE, str(pids))
    marker = uuid.uuid4().hex
    process = spawn(["bash", "-c", f"sleep 30; : {marker}"], log=None)
    try:
        assert pids.read_text().split() == [str(process.pid)]
        assert reap(pids) == [process.pid]
        process.wait(timeout=10)
        assert not running(marker)
    finally:
        stop(process)


def test_no_process_starts_when_its_record_cannot_be_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PID_FILE, str(tmp_path / "no-such-directory" / "pids"))
    marker = uuid.uuid4().hex
    with pytest.raises(FileNotFoundError):
        spawn(["bash", "-c", f"sleep 30; : {marker}"], log=None)
    assert not running(marker)
