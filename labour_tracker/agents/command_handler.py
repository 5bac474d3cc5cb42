"""Apply one command message to the aggregate it names: decide, evolve, publish, store, answer, acknowledge.

Shared by every aggregate's agent. Nothing a message contains can make it raise: a bad message is
rejected on the outcome topic and parked on the dead-letter topic, and the agent goes on.

Commands are pipelined: the agent decides the next command while the broker confirms the messages of the
ones before. What keeps this safe, in order for each command:

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
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar, cast
from uuid import NAMESPACE_URL, uuid5

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
from pydantic import ValidationError

from labour_tracker.agents.replies import Replies, Reply
from labour_tracker.domain.errors import DomainError, ErrorKind
from labour_tracker.domain.limits import RECORD_BUDGET
from labour_tracker.memo import LastUsed
from labour_tracker.messages.codec import to_data
from labour_tracker.messages.commands import CommandType
from labour_tracker.messages.envelopes import (
    MAX_PARKED_KEY,
    MAX_PARKED_VALUE,
    RECORD_TOO_LARGE,
    CommandEnvelope,
    DeadLetter,
    ErrorBody,
    EventEnvelope,
    Outcome,
)
from labour_tracker.metrics import kafka_send_failures_total, timed_command
from labour_tracker.settings import DEFAULT_MAX_MESSAGE_BYTES
from labour_tracker.tables.records import AggregateRecord, record_codec

log = logging.getLogger(__name__)

S = TypeVar("S")
C = TypeVar("C")
E = TypeVar("E")


@dataclass(frozen=True)
class Aggregate(Generic[S, C, E]):
    """What the handler needs to know of one aggregate's domain."""

    name: str
    commands: Mapping[str, CommandType[C]]
    decide: Callable[[S | None, C, datetime, str], Sequence[E]]  # (state, command, now, command id)
    evolve: Callable[[S | None, E], S]


class Rejected(Exception):
    """A command refused before the domain saw it; `dead_letter` when the message itself is bad."""

    def __init__(self, error: ErrorBody, *, dead_letter: bool) -> None:
        super().__init__(error.description)
        self.error = error
        self.dead_letter = dead_letter


def _malformed(code: str, description: str, details: list[dict[str, Any]] | None = None) -> Rejected:
    return Rejected(ErrorBody(kind="malformed", code=code, description=description, details=details), dead_letter=True)


MAX_DETAILS = 20  # problems listed in a refusal: a message can hold millions, and its outcome must fit in Kafka
MAX_DETAIL_TEXT = 100  # characters of each name or message in them (a field name is the sender's to choose)


def _validation_details(error: ValidationError) -> list[dict[str, Any]]:
    problems = error.errors(include_url=False, include_context=False, include_input=False)[:MAX_DETAILS]
    return [
        {
            "loc": [part[:MAX_DETAIL_TEXT] if isinstance(part, str) else part for part in each["loc"]],
            "msg": each["msg"][:MAX_DETAIL_TEXT],
            "type": each["type"],
        }
        for each in problems
    ]


MAX_REASON = 500  # characters of a dead letter's reason
UNREADABLE = "unreadable"  # the command id of an outcome for a message that was no command envelope
NOT_WRITTEN = ErrorBody(
    kind="internal", code="not_written", description="Kafka refused what the command would write; nothing changed."
)
INTERNAL_ERROR = ErrorBody(kind="internal", code="internal_error", description="The command could not be processed.")


def event_id(command_id: str, aggregate_id: str, index: int) -> str:
    """The same id however often the command is redelivered, so consumers can drop repeats."""
    return str(uuid5(NAMESPACE_URL, f"labour-tracker:{aggregate_id}/{command_id}/{index}"))


async def dead_letter(
    topic: faust.TopicT,
    key: str | None,
    value: bytes | None,
    message: faust.types.tuples.Message,
    reason: str,
    now: datetime,
) -> Awaitable[Any]:
    """Park a message that cannot be taken on the dead-letter topic, with the reason (the value is not logged);
    returns the broker's acknowledgement to await."""
    return await park(topic, message.topic, message.partition, message.offset, key, value, reason, now)


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
    """Put the record at topic[partition]@offset on the dead-letter topic, with the reason.

    A tombstone (no value) is parked with an empty one; a key or value too long to park whole is cut short, so the
    letter always fits in a Kafka message (escaped in JSON, a byte of the value can take six).
    """
    reason = reason[:MAX_REASON]  # a reason may name a type the message chose: it is logged, and parked
    raw = value or b""
    text = raw[: 4 * MAX_PARKED_VALUE].decode("utf-8", errors="replace")  # 4: the most bytes a character takes
    cut = len(raw) > 4 * MAX_PARKED_VALUE or len(text) > MAX_PARKED_VALUE
    letter = DeadLetter(
        topic=topic,
        partition=partition,
        offset=offset,
        key=key[:MAX_PARKED_KEY] if key is not None else None,
        value=text[:MAX_PARKED_VALUE],
        reason=reason,
        time=now,
        truncated=cut or (key is not None and len(key) > MAX_PARKED_KEY),
    )
    log.warning("dead-lettered %s[%s]@%s: %s", topic, partition, offset, reason)
    return await dead_letters.send(key=letter.key, value=letter.model_dump_json().encode())


@dataclass
class Handled(Generic[S]):
    """A command decided in memory: its reply (None for a command delivered again whose outcome is forgotten), the
    sends the broker must confirm before its record is stored, and that record (None when there is nothing to keep,
    as for a command on an aggregate that does not exist)."""

    reply: Reply[S] | None
    sent: list[Awaitable[Any]] = field(default_factory=list)
    aggregate_id: str | None = None
    record: AggregateRecord[S] | None = None
    encoded: bytes = b""  # the record as its changelog message


RECORDS_KEPT = 1_000  # decoded records a handler keeps of the aggregates it served last
RECORDS_BUDGET = 32 * 1024 * 1024  # bytes their changelog messages take together, at most

Publication = tuple[faust.TopicT, str, bytes]  # where, under which key, what
FollowUps = Callable[[Any, Sequence[EventEnvelope]], Sequence[Publication]]  # (state after, events) → publications


def no_follow_ups(state: Any, events: Sequence[EventEnvelope]) -> Sequence[Publication]:
    return ()


class CommandHandler(Generic[S, C, E]):
    def __init__(
        self,
        aggregate: Aggregate[S, C, E],
        table: faust.types.tables.TableT,  # type: ignore[type-arg]
        events: faust.TopicT,
        outcomes: faust.TopicT,
        dead_letters: faust.TopicT,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        follow_ups: FollowUps = no_follow_ups,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
    ) -> None:
        self.aggregate = aggregate
        self.table = table
        self.codec = record_codec(table)
        self.max_message_bytes = max_message_bytes  # a command whose record or event would be larger is refused
        if max_message_bytes < RECORD_BUDGET:
            log.warning(
                "messages are limited to %s bytes, below the %s a record within the limits may take: some "
                "commands will be refused as too large before the person reaches a limit",
                max_message_bytes,
                RECORD_BUDGET,
            )
        self.events = events
        self.outcomes = outcomes
        self.dead_letters = dead_letters
        self.clock = clock
        self.follow_ups = follow_ups  # published with the events, from the state they lead to
        # Records decided but not stored yet, by aggregate id, with the consumer generation that decided them. One
        # of an earlier generation is not read: after a rebalance the table may have been rebuilt from its
        # changelog, and the commands since the last commit come again.
        self.unstored: dict[str, tuple[int | None, AggregateRecord[S]]] = {}
        # Records stored lately, as objects, on the same terms: the table's store would decode them again.
        self.stored: LastUsed[tuple[int | None, AggregateRecord[S]]] = LastUsed(RECORDS_KEPT, RECORDS_BUDGET)

    async def handle(self, key: str | None, value: bytes | None, message: faust.types.tuples.Message) -> Handled[S]:
        """Decide one message and send what it publishes; the caller stores its record once the broker has those."""
        now = self._sent_at(message)
        envelope: CommandEnvelope | None = None
        sent: list[Awaitable[Any]] = []
        try:
            envelope = self._envelope(value)
            self._check_addressed_here(key, envelope)
            record = self._latest(envelope.aggregate_id, message.generation_id)
            outcome = record.outcome_of(envelope.id)
            delivered_again = record.has_taken(message.partition, message.offset)
            publications: Sequence[Publication] = ()
            if delivered_again:
                pass  # answered as before if still remembered, else (32 commands later) not at all
            elif outcome is not None and outcome.command_type != envelope.type:
                outcome = self._reused(record, envelope, outcome, now)  # answered, and remembered as it was
            elif outcome is None:
                before = record
                record, outcome, publications = self._apply(record, envelope, now)
                record = record.taken_at(message.partition, message.offset)  # as it is stored: encoded once
                too_large = self._too_large(publications, record)
                if too_large is not None:
                    sent.append(await dead_letter(self.dead_letters, key, value, message, too_large.description, now))
                    record, publications = self._refused(before, envelope, too_large, now), ()
                    outcome = record.processed[-1]
            for topic, publication_key, publication in publications:
                sent.append(await topic.send(key=publication_key, value=publication))
            if outcome is not None:
                sent.append(
                    await self.outcomes.send(key=envelope.aggregate_id, value=outcome.model_dump_json().encode())
                )
            reply = self._reply(outcome, record.state) if outcome is not None else None
            if record.state is None:
                return Handled(reply, sent)
            if not delivered_again:
                record = record.taken_at(message.partition, message.offset)
            encoded = self.codec.dumps(record)
            if len(encoded) > self.max_message_bytes:  # a record from before the limits, refused and still too large
                return Handled(reply, sent)
            # Stored again even when unchanged (a redelivery): a record a crash kept from the changelog gets there.
            self.unstored[envelope.aggregate_id] = (message.generation_id, record)
            return Handled(reply, sent, envelope.aggregate_id, record, encoded)
        except Rejected as rejected:
            if rejected.dead_letter:
                sent.append(await dead_letter(self.dead_letters, key, value, message, rejected.error.description, now))
            return await self._refuse(key, envelope, rejected.error, now, sent)
        except Exception as error:  # a bug must not stop the agent: park the message and say so
            log.exception("command on %s[%s]@%s failed", message.topic, message.partition, message.offset)
            reason = f"internal error: {type(error).__name__}"
            sent.append(await dead_letter(self.dead_letters, key, value, message, reason, now))
            return await self._refuse(key, envelope, INTERNAL_ERROR, now, sent)

    def _too_large(self, publications: Sequence[Publication], record: AggregateRecord[S]) -> ErrorBody | None:
        """Why a command's messages cannot all be written to Kafka, if one of them is too large."""
        largest = max((len(each) for _, _, each in publications), default=0)
        size = len(self.codec.dumps(record))
        if max(largest, size) <= self.max_message_bytes:
            return None
        what = "its record" if size >= largest else "an event"
        return ErrorBody(
            kind=ErrorKind.UNPROCESSABLE.value,
            code=RECORD_TOO_LARGE,
            description=f"Refused: {what} would take {max(largest, size):,} bytes, over the "
            f"{self.max_message_bytes:,} one message may hold.",
        )

    def store(self, handled: Handled[S], partition: int) -> Awaitable[Any] | None:
        """Write a handled command's record to the table and its changelog; returns the changelog's acknowledgement.

        Call it in the context of the command's event: a RocksDB store finds the partition to write there.
        """
        if handled.aggregate_id is None or handled.record is None:
            return None
        self.codec.remember(handled.record, handled.encoded)  # encoded when decided: the store and changelog take it
        unstored = self.unstored.get(handled.aggregate_id)
        if unstored is not None and unstored[1] is handled.record:  # no later command's record is waiting
            del self.unstored[handled.aggregate_id]
            self.stored.keep(handled.aggregate_id, unstored, len(handled.encoded))
        self.table.data[handled.aggregate_id] = handled.record
        changelog: Awaitable[Any] = self.table.send_changelog(partition, handled.aggregate_id, handled.record)
        return changelog

    def forget(self, handled: Handled[S]) -> None:
        """Let go of the records decided in memory for a command Kafka refused: the table's is read again."""
        if handled.aggregate_id is not None:
            self.unstored.pop(handled.aggregate_id, None)
            self.stored.take(handled.aggregate_id)

    def failed(self, reply: Reply[S] | None) -> Reply[S] | None:
        """What the caller of a command Kafka refused is told instead of its outcome."""
        if reply is None:
            return None
        outcome = reply.outcome.model_copy(update={"status": "rejected", "event_ids": (), "error": NOT_WRITTEN})
        return Reply(outcome, None)

    def _latest(self, aggregate_id: str, generation: int | None) -> AggregateRecord[S]:
        for kept in (self.unstored, self.stored):
            found = kept.get(aggregate_id)
            if found is not None and found[0] == generation:
                return found[1]
        stored: AggregateRecord[S] | None = self.table.get(aggregate_id)
        return stored or AggregateRecord()

    def _sent_at(self, message: faust.types.tuples.Message) -> datetime:
        """When the command was sent (its record's timestamp), never later than now.

        A command redelivered after a crash between publishing its events and storing its record is decided
        again; deciding at the same moment gives the same events under the same ids, not a second version.
        """
        now = self.clock()
        if not message.timestamp or message.timestamp <= 0:
            return now
        return min(datetime.fromtimestamp(message.timestamp, UTC), now)

    async def _refuse(
        self,
        key: str | None,
        envelope: CommandEnvelope | None,
        error: ErrorBody,
        now: datetime,
        sent: list[Awaitable[Any]],
    ) -> Handled[S]:
        """Say on the outcome topic (keyed as the message was) and to any caller that the command was refused."""
        named = key if key is not None or envelope is None else envelope.aggregate_id
        outcome = Outcome(
            command_id=envelope.id if envelope else UNREADABLE,
            command_type=envelope.type if envelope else None,
            aggregate_id=named[:MAX_PARKED_KEY] if named is not None else None,  # a key can be as long as a message
            status="rejected",
            version=None,
            error=error,
            time=now,
        )
        sent.append(await self.outcomes.send(key=outcome.aggregate_id, value=outcome.model_dump_json().encode()))
        return Handled(self._reply(outcome, None), sent)

    def _reused(
        self, record: AggregateRecord[S], envelope: CommandEnvelope, earlier: Outcome, now: datetime
    ) -> Outcome:
        """A command id already used for a command of another type: refused, rather than answered with that other
        command's outcome as if it were this one's (a client reusing an Idempotency-Key by mistake would be told that
        its command was done)."""
        return Outcome(
            command_id=envelope.id,
            command_type=envelope.type,
            aggregate_id=envelope.aggregate_id,
            status="rejected",
            version=record.version,
            error=ErrorBody(
                kind="conflict",
                code="command_id_reused",
                description=f"Command id {envelope.id} was already used for a {earlier.command_type} command.",
            ),
            time=now,
        )

    def _envelope(self, value: bytes | None) -> CommandEnvelope:
        try:
            return CommandEnvelope.model_validate_json(value or b"")
        except ValidationError as error:
            raise _malformed(
                "malformed_command", "The message is not a valid command envelope.", _validation_details(error)
            ) from None

    def _check_addressed_here(self, key: str | None, envelope: CommandEnvelope) -> None:
        if key != envelope.aggregate_id:  # without a key, the table would be written on whichever partition it came
            raise _malformed("key_mismatch", "The message key must be the command's aggregate_id.")
        if envelope.type not in self.aggregate.commands:
            raise _malformed(
                "unknown_command_type", f"Unknown command type {envelope.type!r} for {self.aggregate.name}."
            )

    def _apply(
        self, record: AggregateRecord[S], envelope: CommandEnvelope, now: datetime
    ) -> tuple[AggregateRecord[S], Outcome, list[Publication]]:
        """The record after the command, its outcome, and what it publishes: its events, then their follow-ups."""
        kind = self.aggregate.commands[envelope.type]
        try:
            payload = kind.payload.model_validate(envelope.data)
        except ValidationError as error:
            raise _malformed(
                "invalid_command", f"Invalid data for {envelope.type}.", _validation_details(error)
            ) from None
        command = kind.build(envelope.aggregate_id, payload)
        try:
            events = self.aggregate.decide(record.state, command, now, envelope.id)
        except DomainError as refusal:
            body = ErrorBody(kind=refusal.kind.value, code=refusal.code, description=refusal.description)
            refused = self._refused(record, envelope, body, now)
            return refused, refused.processed[-1], []
        state, version, envelopes = record.state, record.version, []
        for index, event in enumerate(events):
            state = self.aggregate.evolve(state, event)
            version += 1
            envelopes.append(
                EventEnvelope(
                    id=event_id(envelope.id, envelope.aggregate_id, index),
                    type=type(event).TYPE,  # type: ignore[attr-defined]
                    version=version,
                    aggregate_id=envelope.aggregate_id,
                    time=now,
                    causation_id=envelope.id,
                    data=to_data(event),
                )
            )
        outcome = Outcome(
            command_id=envelope.id,
            command_type=envelope.type,
            aggregate_id=envelope.aggregate_id,
            status="accepted",
            version=version,
            event_ids=tuple(each.id for each in envelopes),
            time=now,
        )
        publications: list[Publication] = [
            (self.events, envelope.aggregate_id, each.model_dump_json().encode()) for each in envelopes
        ]
        publications += self.follow_ups(state, envelopes) if envelopes else ()
        return record.after(state, version, outcome), outcome, publications

    def _refused(
        self, record: AggregateRecord[S], envelope: CommandEnvelope, error: ErrorBody, now: datetime
    ) -> AggregateRecord[S]:
        """The record once the command is refused: the state as it was, the refusal remembered for a retry."""
        outcome = Outcome(
            command_id=envelope.id,
            command_type=envelope.type,
            aggregate_id=envelope.aggregate_id,
            status="rejected",
            version=record.version,
            error=error,
            time=now,
        )
        return record.after(record.state, record.version, outcome)

    def _reply(self, outcome: Outcome, state: S | None) -> Reply[S]:
        return Reply(outcome, state if outcome.status == "accepted" else None)


def readable_key(key: bytes | None) -> str | None:
    """A message's key as text: our topics take keys as bytes, so a key that is not UTF-8 reaches the handler (with
    its bad bytes replaced, it matches no id) instead of failing in Faust's decoding, which would crash the agent."""
    return key.decode("utf-8", errors="replace") if key is not None else None


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
            handled = await timed_command(handler.aggregate.name, handler.aggregate.commands, handling)
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
