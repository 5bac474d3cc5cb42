"""Apply one command message to the aggregate it names: decide, evolve, store, publish, answer.

Shared by every aggregate's agent. Nothing a message contains can make it raise: a bad message is
rejected on the outcome topic and parked on the dead-letter topic, and the agent goes on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar
from uuid import NAMESPACE_URL, uuid5

import faust
from pydantic import ValidationError

from labour_tracker.agents.replies import Replies
from labour_tracker.domain.errors import DomainError
from labour_tracker.messages.codec import to_data
from labour_tracker.messages.commands import CommandType
from labour_tracker.messages.envelopes import (
    MAX_PARKED_KEY,
    MAX_PARKED_VALUE,
    CommandEnvelope,
    DeadLetter,
    ErrorBody,
    EventEnvelope,
    Outcome,
)
from labour_tracker.metrics import timed_command
from labour_tracker.tables.records import AggregateRecord

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
) -> None:
    """Park a message that cannot be taken on the dead-letter topic, with the reason (the value is not logged)."""
    await park(topic, message.topic, message.partition, message.offset, key, value, reason, now)


async def park(
    dead_letters: faust.TopicT,
    topic: str,
    partition: int,
    offset: int,
    key: str | None,
    value: bytes | None,
    reason: str,
    now: datetime,
) -> None:
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
    await dead_letters.send(key=letter.key, value=letter.model_dump_json().encode())


class CommandHandler(Generic[S, C, E]):
    def __init__(
        self,
        aggregate: Aggregate[S, C, E],
        table: faust.types.tables.TableT,  # type: ignore[type-arg]
        events: faust.TopicT,
        outcomes: faust.TopicT,
        dead_letters: faust.TopicT,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.aggregate = aggregate
        self.table = table
        self.events = events
        self.outcomes = outcomes
        self.dead_letters = dead_letters
        self.clock = clock

    async def handle(self, key: str | None, value: bytes | None, message: faust.types.tuples.Message) -> dict[str, Any]:
        """Process one message; returns the reply for a caller waiting on it (the HTTP API)."""
        now = self._sent_at(message)
        envelope: CommandEnvelope | None = None
        try:
            envelope = self._envelope(value)
            self._check_addressed_here(key, envelope)
            record: AggregateRecord[S] = self.table.get(envelope.aggregate_id) or AggregateRecord()
            outcome = record.outcome_of(envelope.id)
            if outcome is not None and outcome.command_type != envelope.type:
                outcome = self._reused(record, envelope, outcome, now)  # answered, and remembered as it was
            elif outcome is None:
                record, outcome, events = self._apply(record, envelope, now)
                # Events first: once the record says "done", a redelivery is only answered, never republished.
                await self._publish_durably(envelope.aggregate_id, events)
                if record.state is not None:  # nothing to keep for a command on an aggregate that does not exist
                    self.table[envelope.aggregate_id] = record
            await self.outcomes.send(key=envelope.aggregate_id, value=outcome.model_dump_json().encode())
            return self._reply(outcome, record.state)
        except Rejected as rejected:
            if rejected.dead_letter:
                await dead_letter(self.dead_letters, key, value, message, rejected.error.description, now)
            return await self._refuse(key, envelope, rejected.error, now)
        except Exception as error:  # a bug must not stop the agent: park the message and say so
            log.exception("command on %s[%s]@%s failed", message.topic, message.partition, message.offset)
            await dead_letter(self.dead_letters, key, value, message, f"internal error: {type(error).__name__}", now)
            return await self._refuse(key, envelope, INTERNAL_ERROR, now)

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
        self, key: str | None, envelope: CommandEnvelope | None, error: ErrorBody, now: datetime
    ) -> dict[str, Any]:
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
        await self.outcomes.send(key=outcome.aggregate_id, value=outcome.model_dump_json().encode())
        return self._reply(outcome, None)

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
    ) -> tuple[AggregateRecord[S], Outcome, list[EventEnvelope]]:
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
            outcome = Outcome(
                command_id=envelope.id,
                command_type=envelope.type,
                aggregate_id=envelope.aggregate_id,
                status="rejected",
                version=record.version,
                error=ErrorBody(kind=refusal.kind.value, code=refusal.code, description=refusal.description),
                time=now,
            )
            return record.after(record.state, record.version, outcome), outcome, []
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
        return record.after(state, version, outcome), outcome, envelopes

    async def _publish_durably(self, aggregate_id: str, events: list[EventEnvelope]) -> None:
        """Send the events and wait until the broker has them (their ids make a resend harmless)."""
        pending = [await self.events.send(key=aggregate_id, value=each.model_dump_json().encode()) for each in events]
        await asyncio.gather(*pending)

    def _reply(self, outcome: Outcome, state: S | None) -> dict[str, Any]:
        return {
            "outcome": outcome.model_dump(mode="json"),
            "state": to_data(state) if state is not None and outcome.status == "accepted" else None,
        }


def readable_key(key: bytes | None) -> str | None:
    """A message's key as text: our topics take keys as bytes, so a key that is not UTF-8 reaches the handler (with
    its bad bytes replaced, it matches no id) instead of failing in Faust's decoding, which would crash the agent."""
    return key.decode("utf-8", errors="replace") if key is not None else None


def command_agent(
    app: faust.App, name: str, commands: faust.TopicT, handler: CommandHandler[Any, Any, Any], replies: Replies
) -> Any:
    """The Faust agent that owns an aggregate: its commands, one at a time per partition, answered in order.

    Concurrency 1 on purpose: an aggregate's commands must apply in the order they were sent. The agent answers a
    caller that asked for a reply itself (Faust would send it wherever the headers say, unchecked).
    """

    async def apply_commands(stream: faust.StreamT[bytes]) -> None:
        try:
            async for event in stream.events():
                key = readable_key(event.key)
                handling = handler.handle(key, event.value, event.message)
                reply = await timed_command(handler.aggregate.name, handler.aggregate.commands, handling)
                not_sent = await replies.answer(event, reply)
                if not_sent is not None:
                    await dead_letter(handler.dead_letters, key, event.value, event.message, not_sent, handler.clock())
        finally:
            await replies.directory.close()

    return app.agent(commands, name=name, use_reply_headers=True)(apply_commands)
