"""The dead-letter topic: a message that cannot be taken is parked there with the reason, and its agent goes on."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import faust

from labour_tracker.messages.envelopes import MAX_PARKED_KEY, DeadLetter

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_REASON = 500  # characters of a dead letter's reason


class Unusable(Exception):
    """The message cannot be acted on; the text says why (it never quotes the message)."""


def readable_key(key: bytes | None) -> str | None:
    """A message's key as text: our topics take keys as bytes, so a key that is not UTF-8 reaches the handler (with
    its bad bytes replaced, it matches no id) instead of failing in Faust's decoding, which would crash the agent."""
    return key.decode("utf-8", errors="replace") if key is not None else None


async def park(
    dead_letters: faust.TopicT,
    topic: str,
    partition: int,
    offset: int,
    key: str | None,
    value: bytes | None,
    reason: str,
    now: datetime,
) -> Awaitable[Any]:
    """Put a pointer to the record at topic[partition]@offset on the dead-letter topic, with the reason and the
    value's size and digest (not the value: it may hold names and notes); returns the broker's acknowledgement."""
    reason = reason[:MAX_REASON]  # a reason may name a type the message chose: it is logged, and parked
    raw = value or b""
    letter = DeadLetter(
        topic=topic,
        partition=partition,
        offset=offset,
        key=key[:MAX_PARKED_KEY] if key is not None else None,
        size=len(raw),
        sha256=hashlib.sha256(raw).hexdigest(),
        reason=reason,
        time=now,
        truncated=key is not None and len(key) > MAX_PARKED_KEY,
    )
    log.warning("dead-lettered %s[%s]@%s: %s", topic, partition, offset, reason)
    return await dead_letters.send(key=letter.key, value=letter.model_dump_json().encode())


async def dead_letter(
    dead_letters: faust.TopicT,
    key: str | None,
    value: bytes | None,
    message: faust.types.tuples.Message,
    reason: str,
    now: datetime,
) -> Awaitable[Any]:
    """Park the message an agent read (the value is not logged); returns the broker's acknowledgement to await."""
    return await park(dead_letters, message.topic, message.partition, message.offset, key, value, reason, now)


def internal_error(error: Exception) -> str:
    """The reason a message is parked when handling it raised: the type only, as its text may quote the message."""
    return f"internal error: {type(error).__name__}"


async def parked_on_failure(
    step: Awaitable[T],
    dead_letters: faust.TopicT,
    key: str | None,
    value: bytes | None,
    message: faust.types.tuples.Message,
    clock: Callable[[], datetime],
) -> T | None:
    """What an agent's step for one message gives; None when the step finds the message `Unusable`, or raises (a
    bug): the message is then parked with the reason, and the agent goes on with the next."""
    try:
        return await step
    except Unusable as unusable:
        await dead_letter(dead_letters, key, value, message, str(unusable), clock())
    except Exception as error:
        log.exception("%s[%s]@%s failed", message.topic, message.partition, message.offset)
        await dead_letter(dead_letters, key, value, message, internal_error(error), clock())
    return None
