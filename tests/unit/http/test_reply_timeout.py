"""A command whose reply is late: the caller gets 504 with the command id, and the agent's reply promise is left
to complete, never cancelled (Faust's reply consumer crashes when a late reply finds its promise cancelled)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from labour_tracker.http.errors import ApiError
from labour_tracker.http.keys import FAUST_APP, SETTINGS
from labour_tracker.http.plumbing import send_command
from labour_tracker.settings import Settings


class SlowAgent:
    """Answers only when told to, as an agent under load would."""

    def __init__(self) -> None:
        self.promise: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()

    async def ask(self, *, value: bytes, key: str) -> dict[str, Any]:
        return await self.promise


def request() -> web.Request:
    app = web.Application()
    declared = asyncio.Event()
    declared.set()
    app[SETTINGS] = Settings(reply_timeout=0.05)
    app[FAUST_APP] = SimpleNamespace(topics_declared=declared)  # type: ignore[assignment]
    return make_mocked_request("POST", "/api/v1/labour/begin", app=app, headers={"Idempotency-Key": "cmd-1"})


async def test_a_late_reply_gives_504_and_its_promise_is_left_to_complete() -> None:
    agent = SlowAgent()

    with pytest.raises(ApiError) as refused:
        await send_command(request(), agent, "alice", "labour.begin", dict)

    assert (refused.value.status, refused.value.code) == (504, "reply_timeout")
    assert refused.value.details == [{"command_id": "cmd-1"}]
    assert not agent.promise.cancelled()
    agent.promise.set_result({"outcome": {"status": "accepted"}, "state": {}})  # the late reply: nothing breaks
    await asyncio.sleep(0)
