"""The agent that owns an aggregate: its commands decided, stored, answered and acknowledged as a pipeline.

The agent decides the next command while the broker confirms the messages of the ones before. What keeps this
safe, in order for each command:

1. decide and evolve in memory; encode its record and what it publishes, and refuse it (`record_too_large`) if any
   would not fit in a Kafka message; send its events, what follows from them (a person's notification requests)
   and its outcome (the state is now visible to the next command);
2. once the broker has the events and the outcome, store the record (table and changelog) and answer;
3. once the broker has the changelog record, acknowledge the command, so its offset may be committed.

A worker that dies anywhere in between has its unacknowledged commands delivered again, and a command
whose record was not stored is decided again at its send time: the same events under the same ids.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections.abc import Awaitable, Sequence
from typing import Any, cast

import faust
from aiokafka.errors import (
    CorruptRecordException,
    InvalidMessageError,
    InvalidTimestampError,
    KafkaError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
)

from labour_tracker.engine.handler import CommandHandler, Handled
from labour_tracker.engine.parking import dead_letter, readable_key
from labour_tracker.engine.replies import Replies
from labour_tracker.metrics import kafka_send_failures_total, timed_command

log = logging.getLogger(__name__)


# What the broker says of a message itself, whenever it is sent again: the command's fault, not the broker's.
MESSAGE_REFUSED = (
    MessageSizeTooLargeError,
    RecordTooLargeError,
    RecordListTooLargeError,
    CorruptRecordException,
    InvalidMessageError,
    InvalidTimestampError,
)


async def refused_by_kafka(agent: str, sends: Sequence[Awaitable[Any]]) -> str | None:
    """None once the broker has every message sent; why not if it refused one of them as a message. Any other
    failure (the broker away past the producer's own retries) is raised: the command is not at fault."""
    for each in sends:
        try:
            await each
        except KafkaError as error:
            refused = isinstance(error, MESSAGE_REFUSED)
            kafka_send_failures_total.labels(agent=agent, refused=str(refused).lower()).inc()
            if not refused:
                raise
            return f"not written to Kafka: {type(error).__name__}"
    return None


IN_FLIGHT = 500  # commands decided and not yet acknowledged, per agent: beyond it, deciding waits
DRAIN_WITHIN = 5.0  # seconds a rebalance waits for the commands in flight to be acknowledged


class Unacknowledged:
    """How many commands the agent has taken and not yet acknowledged."""

    def __init__(self) -> None:
        self.count = 0
        self.none = asyncio.Event()
        self.none.set()

    def taken(self) -> None:
        self.count += 1
        self.none.clear()

    def acknowledged(self) -> None:
        self.count -= 1
        if self.count == 0:
            self.none.set()


def command_agent(
    app: faust.App, name: str, commands: faust.TopicT, handler: CommandHandler[Any, Any, Any], replies: Replies
) -> Any:
    """The Faust agent that owns an aggregate: its commands decided one at a time per partition, in order, while the
    broker confirms the messages of the commands before (see the module's docstring).

    Concurrency 1 on purpose: an aggregate's commands must apply in the order they were sent. The agent answers a
    caller that asked for a reply itself (Faust would send it wherever the headers say, unchecked), and acknowledges
    each command itself, once everything it wrote is on the broker.
    """
    unacknowledged = Unacknowledged()

    async def store_and_answer(decided: asyncio.Queue[Decided], stored: asyncio.Queue[Stored]) -> None:
        while True:
            event, handled, context = await decided.get()
            refused = await refused_by_kafka(name, handled.sent)
            changelog = None
            if refused is None:
                changelog = context.run(handler.store, handled, event.message.partition)
            else:  # nothing of it is stored: the next command on the aggregate reads the record stored before
                handler.forget(handled)
                handled.reply = handler.failed(handled.reply)
            not_sent = await replies.answer(event, handled.reply) if handled.reply is not None else None
            for reason in filter(None, (refused, not_sent)):
                key = readable_key(event.key)
                await dead_letter(handler.dead_letters, key, event.value, event.message, reason, handler.clock())
            await stored.put((event, changelog))

    async def acknowledge(stream: faust.StreamT[bytes], stored: asyncio.Queue[Stored]) -> None:
        while True:
            event, changelog = await stored.get()
            if changelog is not None:
                await changelog
            await stream.ack(event)
            unacknowledged.acknowledged()

    async def decide(stream: faust.StreamT[bytes], decided: asyncio.Queue[Decided]) -> None:
        async for event in cast(faust.Stream[bytes], stream).noack().events():  # `acknowledge` acks
            handling = handler.handle(readable_key(event.key), event.value, event.message)
            handled = await timed_command(handler.decider.name, handler.decider.commands, handling)
            unacknowledged.taken()
            # The event's context goes along: storing its record in RocksDB reads the partition from it.
            await decided.put((event, handled, contextvars.copy_context()))

    async def crash_on_failure(step: Awaitable[None]) -> None:
        """A step that fails leaves memory ahead of Kafka, and commands half done: stop the worker rather than let
        the agent restart on top of that; started again, it takes every unacknowledged command again, in order."""
        try:
            await step
        except Exception as error:
            log.exception("the %s agent failed", name)
            await app.crash(error)

    async def apply_commands(stream: faust.StreamT[bytes]) -> None:
        decided: asyncio.Queue[Decided] = asyncio.Queue(IN_FLIGHT)
        stored: asyncio.Queue[Stored] = asyncio.Queue(IN_FLIGHT)
        later_steps = [
            asyncio.create_task(crash_on_failure(store_and_answer(decided, stored))),
            asyncio.create_task(crash_on_failure(acknowledge(stream, stored))),
        ]
        try:
            await crash_on_failure(decide(stream, decided))
        finally:
            for each in later_steps:
                each.cancel()
            await replies.directory.close()

    async def commit_before_rebalance(_sender: Any, /, *_: Any, signal: Any, **__: Any) -> None:
        """Acknowledge the commands in flight and commit: Faust would not (`stream_wait_empty` is off), and the
        worker that gets a partition next would take them again."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(unacknowledged.none.wait(), DRAIN_WITHIN)
        await app.consumer.commit()

    app.on_partitions_revoked.connect(commit_before_rebalance)
    return app.agent(commands, name=name, use_reply_headers=True)(apply_commands)


Decided = tuple[faust.EventT[bytes], Handled[Any], contextvars.Context]
Stored = tuple[faust.EventT[bytes], Awaitable[Any] | None]
