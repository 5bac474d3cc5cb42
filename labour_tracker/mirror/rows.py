"""From a table's changelog record to the mirror's rows: one `Change` per aggregate version, read into columns.

Each function returns column lists (one list per column, in the SQL table's order) so the writer can send a
whole batch as arrays in one statement.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import TypeAdapter, ValidationError

from labour_tracker.domain.labour import BirthingPerson, Contraction, Labour, LabourUpdate
from labour_tracker.domain.notification import Notification
from labour_tracker.domain.subscriber import Subscriber
from labour_tracker.tables.upgrade import read_record

S = TypeVar("S")

# The tables mirrored, by name, with the state each record holds.
STATE_TYPES: dict[str, type[Any]] = {
    "birthing_persons": BirthingPerson,
    "subscribers": Subscriber,
    "notifications": Notification,
}


@dataclass(frozen=True, slots=True)
class Versioned(Generic[S]):
    """What the mirror reads of a table's record: the state and its version. The rest of the record (the latest
    outcomes, often half of it) is the agent's, and is skipped rather than decoded."""

    state: S | None = None
    version: int = 0


_READERS = {name: TypeAdapter(Versioned[state]) for name, state in STATE_TYPES.items()}  # type: ignore[valid-type]


@dataclass(frozen=True, slots=True)
class Change:
    """One aggregate's state at one version, as its table recorded it."""

    table: str
    key: str
    version: int
    state: Any
    changed_at: datetime
    topic: str
    partition: int
    offset: int
    raw: bytes  # the changelog record's value, for a dead letter

    @property
    def source(self) -> str:
        return f"{self.topic}[{self.partition}]@{self.offset}"


class Unreadable(Exception):
    """A changelog record that is no record of its table; the text says why without quoting it."""


def read_change(
    table: str, key: bytes | None, value: bytes | None, changed_at: datetime, topic: str, partition: int, offset: int
) -> Change | None:
    """The change a changelog record holds (for a deletion, a change without state); None for a record that holds
    none (an empty aggregate)."""
    if key is None:
        raise Unreadable("a changelog record without a key")
    if value is None:  # the aggregate was erased
        try:
            return Change(table, key.decode(), 0, None, changed_at, topic, partition, offset, b"")
        except UnicodeDecodeError:
            raise Unreadable(f"not a {table} key") from None
    try:
        record: Versioned[Any] = read_record(_READERS[table], value)
        aggregate_id = key.decode()
    except (ValidationError, UnicodeDecodeError):
        raise Unreadable(f"not a {table} record") from None
    if record.state is None:
        return None
    if getattr(record.state, "id", aggregate_id) != aggregate_id:
        raise Unreadable(f"the key is not the id of the {table} record")
    return Change(table, aggregate_id, record.version, record.state, changed_at, topic, partition, offset, value)


def erasures(changes: Iterable[Change]) -> tuple[dict[str, list[str]], list[Change]]:
    """The aggregates a batch erases (keys by table), and the changes that come after their erasure: an aggregate
    erased and then made again (the same user registering anew) keeps only what came after."""
    batch = list(changes)
    last_erased = {(change.table, change.key): index for index, change in enumerate(batch) if change.state is None}
    erased: dict[str, list[str]] = {}
    for table, key in last_erased:
        erased.setdefault(table, []).append(key)
    after = [
        change
        for index, change in enumerate(batch)
        if change.state is not None and index > last_erased.get((change.table, change.key), -1)
    ]
    return erased, after


def latest(changes: Iterable[Change]) -> list[Change]:
    """The last word a batch has on each aggregate and, for a person, on each of their labours: a person's record
    lets go of a labour when the next begins, so the last change that held it says how it ended."""
    return _newest_by(changes, lambda change: (change.table, change.key, _labour_id(change.state)))


def newest(changes: Iterable[Change]) -> list[Change]:
    """The newest change per aggregate."""
    return _newest_by(changes, lambda change: (change.table, change.key))


def _labour_id(state: Any) -> str | None:
    labour = getattr(state, "latest_labour", None)
    return labour.id if labour is not None else None


def _newest_by(changes: Iterable[Change], whose: Callable[[Change], Hashable]) -> list[Change]:
    found: dict[Hashable, Change] = {}
    for change in changes:
        held = found.get(key := whose(change))
        if held is None or held.version < change.version:
            found[key] = change
    return list(found.values())


def _text(value: str | None) -> str | None:
    # PostgreSQL text cannot hold NUL, which JSON (and so a note) can: keep the rest of the text.
    return None if value is None else value.replace("\x00", "\ufffd")


def _set(values: Iterable[str]) -> str:
    return ",".join(sorted(values))  # written as one text, split in SQL: arrays of arrays do not unnest


def columns(rows: list[tuple[Any, ...]], width: int) -> list[list[Any]]:
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[] for _ in range(width)]


def person_rows(changes: list[Change]) -> list[list[Any]]:
    return columns(
        [
            (c.key, _text(c.state.first_name), _text(c.state.last_name), c.state.subscription_token_version,
             c.version, c.changed_at)
            for c in changes
        ],
        6,
    )  # fmt: skip


def labour_rows(changes: list[Change]) -> list[list[Any]]:
    return columns(
        [
            (labour.id, c.key, labour.first_labour, labour.start_time, labour.end_time, labour.phase.value,
             _text(labour.notes), _set(labour.alerts), c.version, _text(labour.name))
            for c in changes
            for labour in _latest(c.state)
        ],
        10,
    )  # fmt: skip


def contraction_rows(changes: list[Change], written: Callable[[str], BirthingPerson | None]) -> list[list[Any]]:
    """The contractions of each change but those it holds as `written` has them (the person as last written)."""
    return columns(
        [
            (contraction.id, labour.id, contraction.start_time, contraction.end_time, contraction.intensity,
             _text(contraction.notes), c.version)
            for c in changes
            for labour in _latest(c.state)
            for contraction in _changed(labour.contractions, _contractions_of(written(c.key), labour.id))
        ],
        7,
    )  # fmt: skip


def deleted_labours(changes: list[Change]) -> list[list[Any]]:
    """Each person's labours deleted lately, as their newest change holds them (labour ids are UUIDs: no comma)."""
    return columns([(c.key, _set(c.state.deleted_labours)) for c in changes if c.state.deleted_labours], 2)


def kept_contractions(changes: list[Change], written: Callable[[str], BirthingPerson | None]) -> list[list[Any]]:
    """The contraction ids of each labour that may have lost one since `written` (the person as last written) held
    it, as its latest change holds them (ids are UUIDs: no comma in them). A labour that only gained contractions,
    as nearly every change does, is left out: nothing of it is to be deleted."""
    kept = []
    for change in changes:
        before = written(change.key)
        for labour in _latest(change.state):
            ids = {each.id for each in labour.contractions}
            if before is None or any(each.id not in ids for each in _contractions_of(before, labour.id)):
                kept.append((labour.id, _set(ids)))
    return columns(kept, 2)


def contraction_count(person: BirthingPerson) -> int:
    return len(person.latest_labour.contractions) if person.latest_labour is not None else 0


def update_rows(changes: list[Change], written: Callable[[str], BirthingPerson | None]) -> list[list[Any]]:
    """The updates of each change but those it holds as `written` (the person as last written) has them."""
    return columns(
        [
            (update.id, labour.id, update.kind.value, _text(update.message),
             update.moment.value if update.moment else None, _text(update.posted_by), update.posted_at,
             update.edited_at, c.version)
            for c in changes
            for labour in _latest(c.state)
            for update in _new_updates(labour, written(c.key))
        ],
        9,
    )  # fmt: skip


def _new_updates(labour: Labour, before: BirthingPerson | None) -> list[LabourUpdate]:
    held = set(_updates_of(before, labour.id))
    return [each for each in labour.updates if each not in held]


def kept_updates(changes: list[Change], written: Callable[[str], BirthingPerson | None]) -> list[list[Any]]:
    """The update ids of each labour that may have lost one since `written` held it, as its latest change holds them
    (ids are UUIDs: no comma in them); a labour that lost none is left out."""
    kept = []
    for change in changes:
        before = written(change.key)
        for labour in _latest(change.state):
            ids = {each.id for each in labour.updates}
            if before is None or any(each.id not in ids for each in _updates_of(before, labour.id)):
                kept.append((labour.id, _set(ids)))
    return columns(kept, 2)


def update_count(person: BirthingPerson) -> int:
    return len(person.latest_labour.updates) if person.latest_labour is not None else 0


def _updates_of(person: BirthingPerson | None, labour_id: str) -> tuple[LabourUpdate, ...]:
    labour = person.latest_labour if person else None
    return labour.updates if labour and labour.id == labour_id else ()


def _latest(person: BirthingPerson) -> tuple[Labour, ...]:
    """The labour a person's record holds; the labours before it were mirrored while it held them."""
    return () if person.latest_labour is None else (person.latest_labour,)


def _contractions_of(person: BirthingPerson | None, labour_id: str) -> tuple[Contraction, ...]:
    labour = person.latest_labour if person else None
    return labour.contractions if labour and labour.id == labour_id else ()


def _changed(contractions: tuple[Contraction, ...], before: tuple[Contraction, ...]) -> list[Contraction]:
    """Contractions not as they were: a labour's contractions are kept in start order, and only the latest changes
    (a contraction started before an earlier one's place, were that ever so, makes every later one count)."""
    return [each for index, each in enumerate(contractions) if index >= len(before) or before[index] != each]


def follower_rows(changes: list[Change]) -> list[list[Any]]:
    """Each person's followers with their roles, and those asking to follow (no role yet)."""
    return columns(
        [
            *(
                (c.key, each, "approved", role.value)
                for c in changes
                for each in sorted(c.state.subscribers)
                if (role := c.state.role_of(each)) is not None
            ),
            *((c.key, each, "pending", None) for c in changes for each in c.state.follow_requests),
        ],
        4,
    )


def subscriber_rows(changes: list[Change]) -> list[list[Any]]:
    return columns(
        [
            (c.key, _text(c.state.first_name), _text(c.state.last_name), _text(c.state.phone_number),
             _text(c.state.email), _set(c.state.contact_methods), c.version, c.changed_at)
            for c in changes
        ],
        8,
    )  # fmt: skip


def subscription_rows(changes: list[Change]) -> list[list[Any]]:
    """Each person a subscriber follows, with the channels news about them goes by (chosen for them, or the
    account's)."""
    return columns(
        [
            (c.key, person, _set(c.state.contact_methods_for(person)))
            for c in changes
            for person in sorted(c.state.subscribed_to)
        ],
        3,
    )


def notification_rows(changes: list[Change]) -> list[list[Any]]:
    return columns(
        [
            (n.id, n.event_id, n.event_type, n.birthing_person_id, n.labour_id, n.subscriber_id, n.channel.value,
             _text(n.destination), n.status.value, _text(n.provider_id), _text(n.reason), n.attempts, n.created_at,
             n.updated_at, c.version, c.changed_at, n.masked_destination, _text(n.update_id))
            for c in changes
            for n in [c.state]
        ],
        18,
    )  # fmt: skip
