"""The mirror is started again after a failure, so a bug or a broken connection never stops the worker."""

from __future__ import annotations

import asyncio
import logging

import pytest

from labour_tracker.mirror import follower
from labour_tracker.mirror.follower import keep_running


async def test_a_failed_run_is_logged_and_started_again_until_stopping(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(follower, "FIRST_RESTART", 0.01)
    stopping, third_run, runs = asyncio.Event(), asyncio.Event(), 0

    async def run() -> None:
        nonlocal runs
        runs += 1
        if runs < 3:
            raise RuntimeError(f"failure {runs}")
        third_run.set()
        await stopping.wait()

    with caplog.at_level(logging.ERROR, logger=follower.__name__):
        running = asyncio.create_task(keep_running(run, stopping, "the mirror"))
        await asyncio.wait_for(third_run.wait(), timeout=1)
        assert not running.done()
        stopping.set()
        await asyncio.wait_for(running, timeout=1)
    assert runs == 3
    assert [r.exc_info[1].args[0] for r in caplog.records if r.exc_info] == ["failure 1", "failure 2"]
    assert all(r.getMessage().startswith("the mirror failed") for r in caplog.records)


async def test_stopping_ends_the_wait_before_a_restart() -> None:
    stopping = asyncio.Event()

    async def fail_then_stop() -> None:
        stopping.set()
        raise RuntimeError("failure")

    await asyncio.wait_for(keep_running(fail_then_stop, stopping, "the mirror"), timeout=0.5)
