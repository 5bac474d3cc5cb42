"""Sending a request's command: its Idempotency-Key is its id, and an empty one is refused. A command whose reply
is late: the caller gets 504 with the command id, and the agent's reply promise is left to complete, never
cancelled (Faust's reply consumer crashes when a late reply finds its promise cancelled)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from labour_tracker.agents.api_ports import AgentCommandBus
from labour_tracker.http.commands import command_id, send_command
from labour_tracker.http.errors import ApiError
from labour_tracker.http.keys import SETTINGS
from labour_tracker.http.ports import COMMAND_BUS, NoReplyInTime
from labour_tracker.messages import birthing_person as commands
from labour_tracker.messages.envelopes import CommandEnvelope
from labour_tracker.settings import Settings
from tests.fakes.ports import FakeCommandBus


class SlowAgent:
    """Answers only when told to, as an agent under load would."""

    def __init__(self) -> None:
        self.promise: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()

    async def ask(self, *, value: bytes, key: str) -> dict[str, Any]:
        return await self.promise


def request(bus: Any) -> web.Request:
    app = web.Application()
    app[SETTINGS] = Settings(reply_timeout=0.05)
    app[COMMAND_BUS] = bus
    return make_mocked_request("POST", "/api/v1/labour/begin", app=app, headers={"Idempotency-Key": "cmd-1"})


async def test_a_late_reply_gives_504_and_its_promise_is_left_to_complete() -> None:
    agent = SlowAgent()
    declared = asyncio.Event()
    declared.set()
    bus = AgentCommandBus(
        SimpleNamespace(topics_declared=declared), {"birthing_person": agent}, {"birthing_person": dict}
    )  # type: ignore[arg-type]

    with pytest.raises(ApiError) as refused:
        await send_command(request(bus), "birthing_person", "alice", commands.BEGIN_LABOUR)

    assert (refused.value.status, refused.value.code) == (504, "reply_timeout")
    assert refused.value.details == [{"command_id": "cmd-1"}]
    assert not agent.promise.cancelled()
    agent.promise.set_result({"outcome": {"status": "accepted"}, "state": {}})  # the late reply: nothing breaks
    await asyncio.sleep(0)


async def test_no_reply_in_time_is_a_504_naming_the_command_to_retry() -> None:
    bus = FakeCommandBus(refusal=NoReplyInTime())

    with pytest.raises(ApiError) as refused:
        await send_command(request(bus), "birthing_person", "alice", commands.BEGIN_LABOUR)

    assert (refused.value.status, refused.value.code) == (504, "reply_timeout")
    assert refused.value.headers == {"Idempotency-Key": "cmd-1"}
    [(aggregate, envelope)] = bus.sent
    assert (aggregate, envelope.id, envelope.type, envelope.aggregate_id) == (
        "birthing_person",
        "cmd-1",
        "labour.begin",
        "alice",
    )
    assert isinstance(envelope, CommandEnvelope)


def test_an_empty_idempotency_key_is_refused_not_ignored() -> None:
    """Ignored, it made every retry of the command a new command."""
    with pytest.raises(ApiError) as refused:
        command_id(make_mocked_request("POST", "/", headers={"Idempotency-Key": ""}), None)
    assert (refused.value.status, refused.value.code) == (400, "invalid_idempotency_key")
    assert command_id(make_mocked_request("POST", "/", headers={"Idempotency-Key": "k-1"}), None) == "k-1"
