"""A command the broker does not take: its caller hears the broker's error at once, and no reply is awaited for it."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka.errors import KafkaTimeoutError

from labour_tracker.http.asking import Asker


class Replies:
    def __init__(self) -> None:
        self.waiting: dict[str, Any] = {}

    async def add(self, correlation_id: str, promise: Any) -> None:
        self.waiting[correlation_id] = promise

    def forget(self, correlation_id: str) -> None:
        self.waiting.pop(correlation_id, None)


class RefusingProducer:
    """Takes the record, then the broker's answer is an error (as when no leader answers in time)."""

    def __init__(self, *, at_send: bool) -> None:
        self.at_send = at_send

    async def send(self, topic: str, value: bytes, *, key: bytes, headers: Any) -> asyncio.Future[Any]:
        if self.at_send:
            raise KafkaTimeoutError()
        delivered: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_later(0.01, delivered.set_exception, KafkaTimeoutError())
        return delivered


def asker(producer: RefusingProducer) -> tuple[Asker, Replies]:
    replies = Replies()
    faust_app = SimpleNamespace(conf=SimpleNamespace(reply_to="replies"), _reply_consumer=replies)
    made = Asker(faust_app, "127.0.0.1:9")
    made._producer = producer  # type: ignore[assignment]
    return made, replies


AGENT = SimpleNamespace(channel=SimpleNamespace(get_topic_name=lambda: "commands"))


async def test_a_command_the_broker_refuses_fails_its_ask_at_once() -> None:
    made, _ = asker(RefusingProducer(at_send=False))
    with pytest.raises(KafkaTimeoutError):
        await asyncio.wait_for(made.ask(AGENT, b"{}", "alice"), timeout=1)


async def test_a_command_that_could_not_be_sent_leaves_no_reply_awaited() -> None:
    made, replies = asker(RefusingProducer(at_send=True))
    with pytest.raises(KafkaTimeoutError):
        await made.ask(AGENT, b"{}", "alice")
    assert replies.waiting == {}
