"""Answering the worker's own asks in process, and every other ask through Kafka."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from faust.agents.replies import ReplyPromise

from labour_tracker.engine.replies import Replies
from tests.fakes.faust_parts import REPLY, KnownTopics, ReplyingApp
from tests.fakes.worker import built_worker

app = built_worker().app


def waiting_ask(correlation_id: str) -> ReplyPromise:
    """An ask of this process waiting for its reply, as `agent.ask` leaves it."""
    promise = ReplyPromise(reply_to=app.conf.reply_to, correlation_id=correlation_id)
    app._reply_consumer._waiting[correlation_id].add(promise)
    return promise


async def test_an_ask_of_this_worker_is_answered_in_process_once() -> None:
    promise = waiting_ask("c-1")
    assert app.answer_here(app.conf.reply_to, "c-1", REPLY)
    assert promise.result() is REPLY  # handed over as it is, not encoded
    assert not app.answer_here(app.conf.reply_to, "c-1", REPLY), "a second reply finds no one waiting"


async def test_an_ask_of_another_worker_is_not_answered_here() -> None:
    promise = waiting_ask("c-2")
    assert not app.answer_here("f-reply-of-another-worker", "c-2", REPLY)
    assert not promise.done()


def asked(reply_to: str, correlation_id: str) -> Any:
    return SimpleNamespace(
        headers={"Faust-Ag-ReplyTo": reply_to.encode(), "Faust-Ag-CorrelationId": correlation_id.encode()}
    )


async def test_a_reply_goes_through_kafka_unless_its_caller_waits_in_this_process() -> None:
    sending = ReplyingApp("f-reply-own", waiting=frozenset({"c-here"}))
    replies = Replies(sending, frozenset(), KnownTopics("f-reply-own", "f-reply-other"))  # type: ignore[arg-type]
    assert await replies.answer(asked("f-reply-own", "c-here"), REPLY) is None
    assert await replies.answer(asked("f-reply-own", "c-late"), REPLY) is None  # no longer waited for: through Kafka
    assert await replies.answer(asked("f-reply-other", "c-there"), REPLY) is None
    assert sending.answered == ["c-here"]
    assert [(topic, response.correlation_id) for topic, response in sending.sent] == [
        ("f-reply-own", "c-late"),
        ("f-reply-other", "c-there"),
    ]
    assert all(response.value == REPLY.as_data() for _, response in sending.sent)  # as JSON data through Kafka
