"""What the agents do with hostile input, without Kafka: every poison message is parked in a dead letter that fits
in a Kafka message, refused with an outcome that fits, and a reply goes only where it can go.

tests/integration/test_hostile_messages.py sends the same kinds of message to a running worker.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from labour_tracker.agents.notification_sender import read_delivery
from labour_tracker.domain.notification import notification_id
from labour_tracker.domain.subscriber.model import ContactMethod
from labour_tracker.engine.handler import CommandHandler
from labour_tracker.engine.parking import Unusable, park, readable_key
from labour_tracker.engine.replies import Replies, Unsendable, reply_address
from labour_tracker.identity.claims import InvalidToken, claims_to_user
from labour_tracker.messages.birthing_person import StartContractionData
from labour_tracker.messages.envelopes import MAX_PARKED_KEY, MAX_PARKED_VALUE, CommandEnvelope, DeadLetter
from tests.fakes.faust_parts import REPLY, KnownTopics, MemoryTable, MemoryTopic, ReplyingApp, handled_through, message
from tests.fakes.worker import person_decider

NOW = datetime(2025, 3, 14, 6, 0, tzinfo=UTC)
KAFKA_MESSAGE = 1_000_000  # Faust's producer refuses anything larger

BIRTHING_PERSON = person_decider()


async def parked(key: str | None, value: bytes | None, reason: str = "why") -> tuple[str | None, bytes, DeadLetter]:
    letters = MemoryTopic()
    await park(letters, "x.birthing_person.commands", 1, 7, key, value, reason, NOW)  # type: ignore[arg-type]
    [(letter_key, raw)] = letters.sent
    return letter_key, raw, DeadLetter.model_validate_json(raw)


async def test_a_tombstone_is_parked_with_an_empty_value() -> None:
    _, _, letter = await parked("alice", None)
    assert (letter.value, letter.truncated) == ("", False)


@pytest.mark.parametrize("value", [b"\x00" * 1_040_000, b"\xff" * 1_040_000, b'"' * 1_040_000])
async def test_a_value_as_large_as_kafka_allows_is_cut_so_its_dead_letter_fits(value: bytes) -> None:
    key, raw, letter = await parked("k" * 1_000_000, value, reason="r" * 1_000_000)
    assert len(raw) + len(key or "") < KAFKA_MESSAGE
    assert letter.truncated
    assert letter.key == key == "k" * MAX_PARKED_KEY
    assert letter.value == value.decode(errors="replace")[:MAX_PARKED_VALUE]
    assert len(letter.reason) < 1_000


def test_a_key_that_is_not_utf8_is_read_with_its_bad_bytes_replaced() -> None:
    assert readable_key(b"\xffalice") == "\ufffdalice"
    assert readable_key(None) is None


def handler() -> tuple[CommandHandler[Any, Any, Any], MemoryTopic, MemoryTopic]:
    outcomes, letters = MemoryTopic(), MemoryTopic()
    fakes: Any = (MemoryTable(), MemoryTopic(), outcomes, letters)
    return CommandHandler(BIRTHING_PERSON, *fakes, clock=lambda: NOW), outcomes, letters


MESSAGE = message(topic="x.birthing_person.commands", offset=3, timestamp=NOW.timestamp())
REGISTER = {"id": "c-1", "type": "birthing_person.register", "aggregate_id": "alice",
            "data": {"first_name": "Ada", "last_name": "L"}}  # fmt: skip


async def test_a_command_without_a_key_is_refused_for_it_would_be_applied_on_the_wrong_partition() -> None:
    command_handler, outcomes, letters = handler()
    reply = await handled_through(command_handler, None, json.dumps(REGISTER).encode(), MESSAGE)
    assert (reply["outcome"]["status"], reply["outcome"]["error"]["code"]) == ("rejected", "key_mismatch")
    assert len(letters.sent) == 1
    assert outcomes.sent[0][0] == "alice"


@pytest.mark.parametrize(
    "envelope",
    [
        REGISTER | {f"f{n}": 0 for n in range(70_000)},  # seventy thousand problems
        REGISTER | {"f" * 1_000_000: 0},  # a field name of a megabyte
        REGISTER | {"type": "t" * 1_000_000},  # a type of a megabyte, quoted by "unknown type" before
        REGISTER | {"data": {"x" * 1_000_000: 0}},  # invalid data, named by its field
    ],
)
async def test_the_outcome_of_a_huge_refused_command_fits_in_a_kafka_message(envelope: dict[str, Any]) -> None:
    command_handler, outcomes, _ = handler()
    reply = await handled_through(command_handler, "alice", json.dumps(envelope).encode(), MESSAGE)
    assert reply["outcome"]["status"] == "rejected"
    [(_, outcome)] = outcomes.sent
    assert len(outcome) < 10_000
    assert len(reply["outcome"]["error"]["details"]) <= 20


@pytest.mark.parametrize(
    "envelope",
    [
        REGISTER | {"aggregate_id": "al\x00ice"},
        REGISTER | {"data": {"first_name": "A\x00da", "last_name": "L"}},
        REGISTER | {"data": {"first_name": "Ada", "last_name": "L", "x": [{"\x00": 1}]}},
    ],
)
def test_text_with_nul_is_refused_anywhere_in_a_command(envelope: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="NUL"):
        CommandEnvelope.model_validate_json(json.dumps(envelope))


def test_a_request_body_with_nul_is_refused_too() -> None:
    with pytest.raises(ValueError, match="NUL"):
        StartContractionData.model_validate({"notes": "before\x00after"})


def test_a_delivery_without_its_key_is_not_sent() -> None:
    event_id = "e-1"
    delivery = {"notification_id": notification_id(event_id, "sam", ContactMethod.EMAIL), "event_id": event_id,
                "event_type": "labour.begun", "event_time": "2025-03-14T06:00:00Z", "birthing_person_id": "alice",
                "birthing_person_first_name": "Ada", "birthing_person_last_name": "L", "labour_id": "l-1",
                "subscriber_id": "sam", "subscriber_first_name": "Sam", "subscriber_last_name": "S",
                "channel": "email", "destination": "sam@example.com"}  # fmt: skip
    value = json.dumps(delivery).encode()
    assert read_delivery(delivery["notification_id"], value).subscriber_id == "sam"
    with pytest.raises(Unusable):
        read_delivery(None, value)  # its status would be written on whichever partition it came


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


def test_a_token_subject_with_nul_is_refused_and_nul_is_dropped_from_names() -> None:
    with pytest.raises(InvalidToken, match="NUL"):
        claims_to_user({"sub": "al\x00ice"})
    user = claims_to_user({"sub": "alice", "given_name": "A\x00da", "family_name": "\x00", "email": "a@b\x00.c"})
    assert (user.first_name, user.last_name, user.email) == ("Ada", "", "a@b.c")
