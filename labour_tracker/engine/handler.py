"""Decide one command message for its aggregate: decide, evolve, encode and send what it publishes, then store.

Nothing a message contains can make it raise: a bad message is rejected on the outcome topic and parked on the
dead-letter topic. The order of the steps and why it is safe is in `labour_tracker.engine.pipeline`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar
from uuid import NAMESPACE_URL, uuid5

import faust

from labour_tracker.domain.errors import DomainError, ErrorKind
from labour_tracker.domain.limits import MINUTE, RECORD_BUDGET, Rate
from labour_tracker.engine.command_messages import MalformedCommand, check_addressed, read_command, read_envelope
from labour_tracker.engine.decider import Decider
from labour_tracker.engine.parking import dead_letter, internal_error
from labour_tracker.memo import LastUsed
from labour_tracker.messages.codec import to_data
from labour_tracker.messages.envelopes import (
    MAX_PARKED_KEY,
    RECENT_COMMANDS,
    RECORD_TOO_LARGE,
    CommandEnvelope,
    ErrorBody,
    EventEnvelope,
    Outcome,
)
from labour_tracker.messages.reply import Reply
from labour_tracker.messages.sealing import new_key, seal
from labour_tracker.settings import DEFAULT_MAX_MESSAGE_BYTES
from labour_tracker.tables.records import AggregateRecord, record_codec

log = logging.getLogger(__name__)

S = TypeVar("S")
C = TypeVar("C")
E = TypeVar("E")

UNREADABLE = "unreadable"  # the command id of an outcome for a message that was no command envelope
NOT_WRITTEN = ErrorBody(
    kind="internal", code="not_written", description="Kafka refused what the command would write; nothing changed."
)
INTERNAL_ERROR = ErrorBody(kind="internal", code="internal_error", description="The command could not be processed.")


def event_id(command_id: str, aggregate_id: str, index: int) -> str:
    """The same id however often the command is redelivered, so consumers can drop repeats."""
    return str(uuid5(NAMESPACE_URL, f"labour-tracker:{aggregate_id}/{command_id}/{index}"))


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


ERASED: AggregateRecord[Any] = AggregateRecord()  # the record of an aggregate its last command erased

RECORDS_KEPT = 1_000  # decoded records a handler keeps of the aggregates it served last
RECORDS_BUDGET = 32 * 1024 * 1024  # bytes their changelog messages take together, at most

Publication = tuple[faust.TopicT, str, bytes]  # where, under which key, what
FollowUps = Callable[[Any, Sequence[EventEnvelope]], Sequence[Publication]]  # (state after, events) → publications


def no_follow_ups(state: Any, events: Sequence[EventEnvelope]) -> Sequence[Publication]:
    return ()


class CommandHandler(Generic[S, C, E]):
    def __init__(
        self,
        decider: Decider[S, C, E],
        table: faust.types.tables.TableT,  # type: ignore[type-arg]
        events: faust.TopicT,
        outcomes: faust.TopicT,
        dead_letters: faust.TopicT,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        follow_ups: FollowUps = no_follow_ups,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
        commands_per_minute: int = 0,
    ) -> None:
        self.decider = decider
        # Counted from the outcomes the record keeps, so the cap holds whichever worker owns the aggregate.
        self.pace = Rate("too_many_commands", min(commands_per_minute, RECENT_COMMANDS), MINUTE, "commands a minute")
        self.by_owner = frozenset(name for name, kind in decider.commands.items() if kind.by_owner)
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
        erased = False
        try:
            envelope = read_envelope(value)
            check_addressed(key, envelope, self.decider)
            record = self._latest(envelope.aggregate_id, message.generation_id)
            outcome = record.outcome_of(envelope.id)
            delivered_again = record.has_taken(message.partition, message.offset)
            publications: Sequence[Publication] = ()
            if delivered_again:
                pass  # answered as before if still remembered, else (32 commands later) not at all
            elif outcome is not None and (reuse := _reuse(outcome, envelope)) is not None:
                outcome = self._unrecorded(record, envelope, reuse, now)  # answered, and remembered as it was
            elif outcome is None and (too_soon := self._too_soon(record, envelope, now)) is not None:
                outcome = self._unrecorded(record, envelope, too_soon, now)  # a retry later is decided afresh
            elif outcome is None:
                before = record
                record, outcome, publications = self._apply(record, envelope, now)
                record = record.taken_at(message.partition, message.offset)  # as it is stored: encoded once
                too_large = self._too_large(publications, record)
                if too_large is not None:
                    sent.append(await dead_letter(self.dead_letters, key, value, message, too_large.description, now))
                    record, publications = self._refused(before, envelope, too_large, now), ()
                    outcome = record.processed[-1]
                erased = before.state is not None and record.state is None
            for topic, publication_key, publication in publications:
                sent.append(await topic.send(key=publication_key, value=publication))
            if outcome is not None:
                sent.append(
                    await self.outcomes.send(key=envelope.aggregate_id, value=outcome.model_dump_json().encode())
                )
            reply = self._reply(outcome, record.state) if outcome is not None else None
            if erased:  # stored as a deletion: the record goes, and with it the key of its sealed events
                self.unstored[envelope.aggregate_id] = (message.generation_id, ERASED)
                return Handled(reply, sent, envelope.aggregate_id, ERASED)
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
        except MalformedCommand as malformed:
            sent.append(await dead_letter(self.dead_letters, key, value, message, malformed.error.description, now))
            return await self._refuse(key, envelope, malformed.error, now, sent)
        except Exception as error:  # a bug must not stop the agent: park the message and say so
            log.exception("command on %s[%s]@%s failed", message.topic, message.partition, message.offset)
            sent.append(await dead_letter(self.dead_letters, key, value, message, internal_error(error), now))
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
        unstored = self.unstored.get(handled.aggregate_id)
        if unstored is not None and unstored[1] is handled.record:  # no later command's record is waiting
            del self.unstored[handled.aggregate_id]
            self.stored.keep(handled.aggregate_id, unstored, len(handled.encoded))
        changelog: Awaitable[Any]
        if handled.record is ERASED:  # a tombstone: compaction then removes every earlier record of it
            self.table.data.pop(handled.aggregate_id, None)
            self.codec.forget(handled.aggregate_id)
            changelog = self.table.send_changelog(partition, handled.aggregate_id, None, value_serializer="raw")
            return changelog
        self.codec.remember(handled.record, handled.encoded)  # encoded when decided: the store and changelog take it
        self.table.data[handled.aggregate_id] = handled.record
        changelog = self.table.send_changelog(partition, handled.aggregate_id, handled.record)
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

    def _too_soon(self, record: AggregateRecord[S], envelope: CommandEnvelope, now: datetime) -> ErrorBody | None:
        """Why the aggregate's own user may not send this command now: the cap on commands a minute, if reached.
        Commands sent on their behalf by the service (a subscription applied to the person) are not counted."""
        if not self.pace.maximum or envelope.type not in self.by_owner:
            return None
        try:
            self.pace.check((each.time for each in record.processed if each.command_type in self.by_owner), now)
        except DomainError as refusal:
            return error_body(refusal)
        return None

    def _unrecorded(
        self, record: AggregateRecord[S], envelope: CommandEnvelope, error: ErrorBody, now: datetime
    ) -> Outcome:
        """A refusal the record does not keep: a command id already used for another command (rather than answered
        with that command's outcome as if it were this one's), or one sent too often lately (a cap)."""
        return Outcome(
            command_id=envelope.id,
            command_type=envelope.type,
            aggregate_id=envelope.aggregate_id,
            status="rejected",
            version=record.version,
            error=error,
            time=now,
        )

    def _apply(
        self, record: AggregateRecord[S], envelope: CommandEnvelope, now: datetime
    ) -> tuple[AggregateRecord[S], Outcome, list[Publication]]:
        """The record after the command, its outcome, and what it publishes: its events, then their follow-ups."""
        command = read_command(envelope, self.decider)
        try:
            events = self._decide(record.state, command, now, envelope)
        except DomainError as refusal:
            if refusal.kind is ErrorKind.TOO_MANY:  # not kept: the same command after Retry-After is decided afresh
                return record, self._unrecorded(record, envelope, error_body(refusal), now), []
            refused = self._refused(record, envelope, error_body(refusal), now)
            return refused, refused.processed[-1], []
        state, version, envelopes, data_key = record.state, record.version, [], record.data_key
        for index, event in enumerate(events):
            state = self.decider.evolve(state, event)
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
            digest=envelope.digest(),
        )
        publications: list[Publication] = []
        for each in envelopes:
            if each.type in self.decider.personal:
                data_key = data_key or new_key()
                each = seal(each, data_key)
            publications.append((self.events, envelope.aggregate_id, each.model_dump_json().encode()))
        publications += self.follow_ups(state, envelopes) if envelopes else ()  # they read the events in clear
        after = record.after(state, version, outcome)
        return replace(after, data_key=data_key) if data_key != after.data_key else after, outcome, publications

    def _decide(self, state: S | None, command: C, now: datetime, envelope: CommandEnvelope) -> Sequence[E]:
        """The command's events, decided as its actor sent it: the aggregate itself unless one is named."""
        if envelope.actor is None or envelope.actor == envelope.aggregate_id:
            return self.decider.decide(state, command, now, envelope.id)
        if self.decider.decide_as is None:
            raise DomainError(ErrorKind.FORBIDDEN, "actor_not_allowed", "Only its own user may send this command.")
        return self.decider.decide_as(state, command, now, envelope.id, envelope.actor)

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
            digest=envelope.digest(),
        )
        return record.after(record.state, record.version, outcome)

    def _reply(self, outcome: Outcome, state: S | None) -> Reply[S]:
        return Reply(outcome, state if outcome.status == "accepted" else None)


def _reuse(earlier: Outcome, envelope: CommandEnvelope) -> ErrorBody | None:
    """Why the command cannot be the one `earlier` answered, though it has its id: another type, or another payload
    (outcomes recorded before payloads were fingerprinted are taken as the same)."""
    if earlier.command_type != envelope.type:
        return ErrorBody(
            kind="conflict",
            code="command_id_reused",
            description=f"Command id {envelope.id} was already used for a {earlier.command_type} command.",
        )
    if earlier.digest is not None and earlier.digest != envelope.digest():
        return ErrorBody(
            kind="unprocessable",
            code="idempotency_key_reused",
            description=f"Command id {envelope.id} was already used for a {envelope.type} command with another body.",
        )
    return None


def error_body(refusal: DomainError) -> ErrorBody:
    return ErrorBody(
        kind=refusal.kind.value, code=refusal.code, description=refusal.description, retry_after=refusal.retry_after
    )
