"""Answering the worker's own asks in process, and every other ask through Kafka."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from faust.agents.replies import ReplyPromise

from labour_tracker.agents.replies import Replies
from labour_tracker.app import app

REPLY = {"outcome": {"aggregate_id": "alice", "status": "accepted"}, "state": None}


def waiting_ask(correlation_id: str) -> ReplyPromise:
    """An ask of this process waiting for its reply, as `agent.ask` leaves it."""
    promise = ReplyPromise(reply_to=app.conf.reply_to, correlation_id=correlation_id)
    app._reply_consumer._waiting[correlation_id].add(promise)
    return promise


async def test_an_ask_of_this_worker_is_answered_in_process_once() -> None:
    promise = waiting_ask("c-1")
    assert app.answer_here(app.conf.reply_to, "c-1", REPLY)
    assert promise.result() == REPLY
    assert not app.answer_here(app.conf.reply_to, "c-1", REPLY), "a second reply finds no one waiting"


async def test_an_ask_of_another_worker_is_not_answered_here() -> None:
    promise = waiting_ask("c-2")
    assert not app.answer_here("f-reply-of-another-worker", "c-2", REPLY)
    assert not promise.done()


class Directory:
    async def exists(self, topic: str) -> bool:
        return True


class Sending:
    """The app as the replies see it: what it sent, and this process's asks answered."""

    def __init__(self, waiting: set[str]) -> None:
        self.sent: list[tuple[str, Any]] = []
        self.answered: list[str] = []
        self.waiting = waiting

    async def send(self, topic: str, *, key: None, value: Any) -> None:
        self.sent.append((topic, value))

    def answer_here(self, topic: str, correlation_id: str | None, value: Any) -> bool:
        if topic != "f-reply-own" or correlation_id not in self.waiting:
            return False
        self.answered.append(correlation_id)
        return True


def asked(reply_to: str, correlation_id: str) -> Any:
    return SimpleNamespace(
        headers={"Faust-Ag-ReplyTo": reply_to.encode(), "Faust-Ag-CorrelationId": correlation_id.encode()}
    )


async def test_a_reply_goes_through_kafka_unless_its_caller_waits_in_this_process() -> None:
    sending = Sending(waiting={"c-here"})
    replies = Replies(sending, frozenset(), Directory())  # type: ignore[arg-type]
    assert await replies.answer(asked("f-reply-own", "c-here"), REPLY) is None
    assert await replies.answer(asked("f-reply-own", "c-late"), REPLY) is None  # no longer waited for: through Kafka
    assert await replies.answer(asked("f-reply-other", "c-there"), REPLY) is None
    assert sending.answered == ["c-here"]
    assert [(topic, response.correlation_id) for topic, response in sending.sent] == [
        ("f-reply-own", "c-late"),
        ("f-reply-other", "c-there"),
    ]
