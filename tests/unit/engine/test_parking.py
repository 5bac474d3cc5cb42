"""Parking a message an agent cannot use: its dead letter fits in a Kafka message whatever the message held, and
its key is read however it was written.

tests/integration/test_hostile_messages.py sends the same kinds of message to a running worker.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from labour_tracker.engine.parking import park, readable_key
from labour_tracker.messages.envelopes import MAX_PARKED_KEY, DeadLetter
from tests.fakes.faust_parts import MemoryTopic

NOW = datetime(2025, 3, 14, 6, 0, tzinfo=UTC)
KAFKA_MESSAGE = 1_000_000  # Faust's producer refuses anything larger


async def parked(key: str | None, value: bytes | None, reason: str = "why") -> tuple[str | None, bytes, DeadLetter]:
    letters = MemoryTopic()
    await park(letters, "x.birthing_person.commands", 1, 7, key, value, reason, NOW)  # type: ignore[arg-type]
    [(letter_key, raw)] = letters.sent
    return letter_key, raw, DeadLetter.model_validate_json(raw)


async def test_a_tombstone_is_parked_as_empty() -> None:
    _, _, letter = await parked("alice", None)
    assert (letter.size, letter.sha256, letter.truncated) == (0, hashlib.sha256(b"").hexdigest(), False)


async def test_a_dead_letter_points_at_the_message_without_copying_what_people_wrote() -> None:
    value = b'{"type": "labour.begin", "data": {"notes": "Beatrice Okafor, waters broke"}}'
    _, raw, letter = await parked("bea-1", value)
    assert b"Okafor" not in raw and b"waters" not in raw
    assert (letter.topic, letter.partition, letter.offset) == ("x.birthing_person.commands", 1, 7)
    assert (letter.size, letter.sha256) == (len(value), hashlib.sha256(value).hexdigest())


@pytest.mark.parametrize("value", [b"\x00" * 1_040_000, b"\xff" * 1_040_000, b'"' * 1_040_000])
async def test_a_value_and_key_as_large_as_kafka_allows_still_make_a_dead_letter_that_fits(value: bytes) -> None:
    key, raw, letter = await parked("k" * 1_000_000, value, reason="r" * 1_000_000)
    assert len(raw) + len(key or "") < 10_000  # far below KAFKA_MESSAGE, whatever the value
    assert letter.truncated
    assert letter.key == key == "k" * MAX_PARKED_KEY
    assert letter.size == len(value)
    assert len(letter.reason) < 1_000


def test_a_key_that_is_not_utf8_is_read_with_its_bad_bytes_replaced() -> None:
    assert readable_key(b"\xffalice") == "\ufffdalice"
    assert readable_key(None) is None
