"""What a table holds per aggregate: its state, its version, the outcomes of its latest commands, and where in
the command topic the last of them was.

State, outcomes and that place share one changelog record, so a command delivered again (after a crash or a
rebalance, from the last committed offset) is recognised exactly when its effect on the state survived, by its
place, however many commands came after it, and is not applied again. A client's retry is a new message with
the same command id: it is recognised by its outcome while that is among the latest RECENT_COMMANDS. Events
are durable before the record is written, so they need not be kept here.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass, replace
from functools import partial
from typing import Any, Generic, TypeVar

import faust
import orjson
from faust.serializers import codecs
from pydantic import BaseModel, TypeAdapter

from labour_tracker.domain.labour import Contraction, LabourUpdate
from labour_tracker.memo import SequenceJson
from labour_tracker.messages.envelopes import RECENT_COMMANDS, Outcome
from labour_tracker.tables.upgrade import read_record

S = TypeVar("S")


@dataclass(frozen=True, slots=True)
class AggregateRecord(Generic[S]):
    state: S | None = None
    version: int = 0
    processed: tuple[Outcome, ...] = ()
    # (partition, offset) of the last message that changed it: a command, or the delivery that decided a notification
    last_command: tuple[int, int] | None = None
    # The key its personal events are sealed with (`messages.sealing`): kept here only, so erasing the record
    # makes them unreadable everywhere.
    data_key: str | None = None

    def outcome_of(self, command_id: str) -> Outcome | None:
        return next((each for each in reversed(self.processed) if each.command_id == command_id), None)

    def after(self, state: S | None, version: int, outcome: Outcome) -> AggregateRecord[S]:
        return replace(self, state=state, version=version, processed=(*self.processed, outcome)[-RECENT_COMMANDS:])

    def has_taken(self, partition: int, offset: int) -> bool:
        """Whether the message at that place was taken already: it is being delivered again."""
        return self.last_command is not None and self.last_command[0] == partition and offset <= self.last_command[1]

    def taken_at(self, partition: int, offset: int) -> AggregateRecord[S]:
        if self.last_command == (partition, offset):
            return self  # the same object: its encoding is known already
        return replace(self, last_command=(partition, offset))


KEPT = (Contraction, LabourUpdate, Outcome)  # the parts that one record of an aggregate shares with the next
SEQUENCES_KEPT = 4096  # the JSON of so many sequences of them kept per codec: some 20 KiB for a long labour
SEQUENCES_BUDGET = 16 * 1024 * 1024  # and of at most so many bytes


def _part_json(part: Any) -> bytes:
    if isinstance(part, BaseModel):
        return part.__pydantic_serializer__.to_json(part)
    return orjson.dumps(part, option=orjson.OPT_UTC_Z)


class RecordCodec(codecs.Codec):
    """Faust codec of one aggregate's records: JSON on the changelog, objects in the table.

    A record is encoded again after every command, and is mostly what it was: the JSON of its labours'
    contractions and of its outcomes is made again only where they changed (`SequenceJson`, under the aggregate's
    id), and the record's JSON is put together around it.
    """

    def __init__(self, state_type: type[Any]) -> None:
        super().__init__()
        self._adapter: TypeAdapter[AggregateRecord[Any]] = TypeAdapter(AggregateRecord[state_type])  # type: ignore[valid-type]
        self._sequences: SequenceJson[Any] = SequenceJson(_part_json, SEQUENCES_KEPT, SEQUENCES_BUDGET)
        self._fields: dict[type, tuple[str, ...]] = {}
        # The record encoded last, with its JSON: a stored record is encoded for the store, then for the changelog.
        self._last: tuple[Any, bytes] = (None, b"")

    def remember(self, record: Any, encoded: bytes) -> None:
        """`record` encodes as `encoded`: encoded when its command was decided, it is stored later."""
        self._last = (record, encoded)

    def forget(self, aggregate_id: str) -> None:
        """Let go of what is kept of an erased aggregate's records: their JSON holds what the person wrote."""
        self._sequences.forget(lambda key: isinstance(key, tuple) and key[0] == aggregate_id)
        self._last = (None, b"")

    def _dumps(self, obj: Any) -> bytes:
        last, encoded = self._last
        if obj is not last:  # records are immutable: the same object encodes the same
            data = partial(self._data, _aggregate_id(obj))
            encoded = orjson.dumps(obj, default=data, option=orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_UTC_Z)
            self._last = (obj, encoded)
        return encoded

    def _data(self, aggregate_id: str | None, value: Any) -> Any:
        """What orjson cannot encode by itself, in the record of `aggregate_id`, as what it can."""
        if is_dataclass(value):
            names = self._fields.get(type(value))
            if names is None:
                names = self._fields[type(value)] = tuple(each.name for each in fields(value))
            data = {name: getattr(value, name) for name in names}
            for name, field in data.items():
                if type(field) is tuple and field and isinstance(field[0], KEPT):
                    data[name] = self._sequence_json(aggregate_id, value, name, field)
            return data
        if isinstance(value, frozenset):
            return sorted(value)
        raise TypeError(f"{type(value).__name__} is not part of a record")

    def _sequence_json(
        self, aggregate_id: str | None, owner: Any, name: str, parts: tuple[Any, ...]
    ) -> orjson.Fragment:
        """`parts`, the field `name` of `owner` in the record of `aggregate_id`, as JSON."""
        if aggregate_id is None:  # a record that does not say whose it is: nothing to find it again by
            return orjson.Fragment(b"[" + b",".join(map(_part_json, parts)) + b"]")
        key = (aggregate_id, type(owner).__name__, getattr(owner, "id", None), name)
        return orjson.Fragment(self._sequences.of(key, parts))

    def _loads(self, s: bytes) -> Any:
        return read_record(self._adapter, s)


def _aggregate_id(record: Any) -> str | None:
    """Whose record it is, as far as the record tells."""
    if not isinstance(record, AggregateRecord):
        return None
    if record.state is not None:
        return getattr(record.state, "id", None)
    return next((each.aggregate_id for each in record.processed if each.aggregate_id is not None), None)


def record_codec(table: faust.types.tables.TableT) -> RecordCodec:  # type: ignore[type-arg]
    """The codec that writes the table's records."""
    codec = codecs.get_codec(getattr(table, "value_serializer", None))
    if not isinstance(codec, RecordCodec):
        raise TypeError(f"table {getattr(table, 'name', table)!r} does not hold aggregate records")
    return codec
