"""Answering the worker's own asks in process, every other ask through Kafka, and only where a reply can go."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from faust.agents.replies import ReplyPromise

from labour_tracker.engine.replies import Replies, Unsendable, reply_address
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


OWN = {"lt.birthing_person.commands", "lt.dead_letters"}


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Faust-Ag-ReplyTo": b"\xff\xfe", "Faust-Ag-CorrelationId": b"c"}, "not UTF-8"),
        ({"Faust-Ag-ReplyTo": b"replies", "Faust-Ag-CorrelationId": b"\xff"}, "not UTF-8"),
        ({"Faust-Ag-ReplyTo": b"not a topic!", "Faust-Ag-CorrelationId": b"c"}, "not a valid topic name"),
        ({"Faust-Ag-ReplyTo": b"..", "Faust-Ag-CorrelationId": b"c"}, "not a valid topic name"),
        ({"Faust-Ag-ReplyTo": b"r" * 250, "Faust-Ag-CorrelationId": b"c"}, "not a valid topic name"),
        ({"Faust-Ag-ReplyTo": b"lt.dead_letters", "Faust-Ag-CorrelationId": b"c"}, "own topics"),
    ],
)
def test_reply_headers_that_name_nowhere_a_reply_can_go_are_refused(headers: dict[str, bytes], reason: str) -> None:
    with pytest.raises(Unsendable, match=reason):
        reply_address(headers, OWN)


def test_reply_headers_name_the_topic_and_correlation_id() -> None:
    assert reply_address({}, OWN) is None
    assert reply_address(None, OWN) is None
    assert reply_address({"Faust-Ag-ReplyTo": b"f-reply-1", "Faust-Ag-CorrelationId": b"c-1"}, OWN) == (
        "f-reply-1",
        "c-1",
    )
    assert reply_address({"Faust-Ag-ReplyTo": b"f-reply-1"}, OWN) == ("f-reply-1", None)


async def test_a_reply_goes_to_a_topic_that_exists_and_nowhere_else() -> None:
    app = ReplyingApp()
    replies = Replies(app, OWN, KnownTopics("f-reply-1"))  # type: ignore[arg-type]
    asked = SimpleNamespace(headers={"Faust-Ag-ReplyTo": b"f-reply-1", "Faust-Ag-CorrelationId": b"c-1"})
    assert await replies.answer(asked, REPLY) is None  # type: ignore[arg-type]
    [(topic, response)] = app.sent
    assert (topic, response.key, response.value, response.correlation_id) == (
        "f-reply-1",
        "alice",
        REPLY.as_data(),
        "c-1",
    )

    missing = SimpleNamespace(headers={"Faust-Ag-ReplyTo": b"no-such-topic", "Faust-Ag-CorrelationId": b"c-2"})
    reason = await replies.answer(missing, REPLY)  # type: ignore[arg-type]
    assert reason == "reply not sent: Faust-Ag-ReplyTo names no-such-topic, which does not exist"
    assert await replies.answer(SimpleNamespace(headers={}), REPLY) is None  # type: ignore[arg-type]
    assert len(app.sent) == 1
