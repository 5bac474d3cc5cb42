"""In-memory stand-ins for the Faust topics and table a CommandHandler writes to, for unit tests of the handler."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from labour_tracker.engine.handler import CommandHandler
from labour_tracker.messages.envelopes import Outcome
from labour_tracker.messages.reply import Reply
from labour_tracker.tables.records import RecordCodec


def delivered() -> asyncio.Future[None]:
    """What Faust's send returns: a future the broker's acknowledgement completes (here, at once)."""
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    done.set_result(None)
    return done


class MemoryTopic:
    """Keeps what is sent to it, bytes as encoded."""

    def __init__(self) -> None:
        self.sent: list[tuple[str | None, bytes]] = []

    async def send(self, *, key: str | None, value: bytes) -> asyncio.Future[None]:
        self.sent.append((key, value))
        return delivered()

    def json(self) -> list[tuple[str | None, Any]]:
        return [(key, json.loads(value)) for key, value in self.sent]

    def values(self) -> list[Any]:
        return [value for _, value in self.json()]


class MemoryTable(dict[str, Any]):
    """A table whose store is itself; keeps what went to its changelog, and which of it the writer waited for."""

    def __init__(self) -> None:
        super().__init__()
        self.value_serializer = RecordCodec(object)  # encodes what the handler stores, as a table's codec does
        self.changelog: list[tuple[int, str, Any]] = []
        self.awaited: list[tuple[str, Any]] = []  # changelog records whose acknowledgement was awaited

    @property
    def data(self) -> MemoryTable:
        return self

    def send_changelog(
        self, partition: int, key: str, value: Any, value_serializer: str | None = None
    ) -> Awaitable[None]:
        self.changelog.append((partition, key, value))  # a deletion's tombstone as None
        return self._acknowledgement(key, value)

    async def _acknowledgement(self, key: str, value: Any) -> None:
        self.awaited.append((key, value))


def message(*, timestamp: float, topic: str = "x.commands", partition: int = 0, offset: int = 0) -> Any:
    """A consumed message as the handler reads it (one consumer generation throughout)."""
    return SimpleNamespace(topic=topic, partition=partition, offset=offset, timestamp=timestamp, generation_id=1)


async def handled_through(
    handler: CommandHandler[Any, Any, Any], key: str | None, value: bytes | None, consumed: Any
) -> dict[str, Any] | None:
    """One command taken as the agent takes it: decided, its sends confirmed, its record stored; returns the reply as
    a caller in another process gets it (None for none)."""
    handled = await handler.handle(key, value, consumed)
    for each in handled.sent:
        await each
    stored = handler.store(handled, consumed.partition)
    if stored is not None:
        await stored
    return handled.reply.as_data() if handled.reply is not None else None


# An accepted command's reply, as an agent hands it to Replies.
REPLY = Reply(
    Outcome(
        command_id="c-1", command_type="labour.begin", aggregate_id="alice", status="accepted", version=2,
        time=datetime(2026, 12, 2, 9, tzinfo=UTC),
    ),
    state=None,
)  # fmt: skip


class KnownTopics:
    """The replies' view of which topics exist: the ones named."""

    def __init__(self, *topics: str) -> None:
        self.topics = set(topics)

    async def exists(self, topic: str) -> bool:
        return topic in self.topics


class ReplyingApp:
    """The app as the replies see it: what it sent, and the asks of this process (on `own_topic`) it answered."""

    def __init__(self, own_topic: str = "f-reply-own", waiting: frozenset[str] = frozenset()) -> None:
        self.own_topic, self.waiting = own_topic, set(waiting)
        self.sent: list[tuple[str, Any]] = []
        self.answered: list[str] = []

    async def send(self, topic: str, *, key: None, value: Any) -> None:
        self.sent.append((topic, value))

    def answer_here(self, topic: str, correlation_id: str | None, value: Any) -> bool:
        if topic != self.own_topic or correlation_id not in self.waiting:
            return False
        self.waiting.discard(correlation_id)
        self.answered.append(correlation_id)
        return True
