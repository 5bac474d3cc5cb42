"""Personal events leave the handler sealed under their aggregate's own key, and an erasure deletes the record that
holds the key: what was published of the aggregate can then no longer be opened."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from labour_tracker.engine.handler import CommandHandler
from labour_tracker.messages.envelopes import EventEnvelope
from labour_tracker.messages.sealing import Unopenable, new_key, opened, seal
from tests.fakes.commands import PERSON, command
from tests.fakes.faust_parts import MemoryTable, MemoryTopic, handled_through, message

NOW = datetime(2026, 12, 7, 9, tzinfo=UTC)


class Person:
    """One birthing person's handler, table and events topic."""

    def __init__(self) -> None:
        self.table, self.events = MemoryTable(), MemoryTopic()
        self.handler = CommandHandler(PERSON, self.table, self.events, MemoryTopic(), MemoryTopic(), clock=lambda: NOW)  # type: ignore[arg-type]
        self.sent = 0

    async def do(self, type_name: str, data: dict[str, Any] | None = None) -> dict[str, Any] | None:
        self.sent += 1
        value = command(f"c{self.sent}", type_name, data or {})
        return await handled_through(self.handler, "p1", value, message(timestamp=NOW.timestamp(), offset=self.sent))

    def published(self) -> list[EventEnvelope]:
        return [EventEnvelope.model_validate_json(value) for _, value in self.events.sent]


async def in_labour_with_a_note() -> Person:
    person = Person()
    await person.do("birthing_person.register", {"first_name": "Ada", "last_name": "Lovelace"})
    await person.do("labour.begin", {"first_labour": True})
    await person.do("contraction.start", {"notes": "waters broke"})
    await person.do("birthing_person.rotate_subscription_token")
    return person


async def test_personal_events_are_published_sealed_and_open_with_the_key_their_record_keeps() -> None:
    person = await in_labour_with_a_note()
    key = person.table["p1"].data_key

    published = person.published()

    assert [each.type for each in published if each.sealed] == ["birthing_person.registered", "labour.begun",
                                                                 "contraction.started"]  # fmt: skip
    raw = b"".join(value for _, value in person.events.sent)
    assert b"Lovelace" not in raw and b"waters broke" not in raw
    assert all(each.data == {} for each in published if each.sealed)
    assert opened(published[2], key).data["notes"] == "waters broke"
    rotated = published[-1]
    assert rotated.type == "birthing_person.subscription_token_rotated" and rotated.sealed is None
    assert rotated.data["subscription_token_version"] == 1


async def test_an_erasure_deletes_the_record_and_its_key_and_leaves_a_tombstone_on_the_changelog() -> None:
    person = await in_labour_with_a_note()

    reply = await person.do("birthing_person.erase")

    assert reply is not None and reply["outcome"]["status"] == "accepted" and reply["state"] is None
    assert "p1" not in person.table
    assert person.table.changelog[-1] == (0, "p1", None)
    erased = person.published()[-1]
    assert (erased.type, erased.sealed, erased.data["subscriber_ids"]) == ("birthing_person.erased", None, [])
    with pytest.raises(Unopenable, match="erased"):
        opened(person.published()[2], None)


async def test_after_an_erasure_the_aggregate_is_gone_and_erasing_again_changes_nothing() -> None:
    person = await in_labour_with_a_note()
    await person.do("birthing_person.erase")
    stored = len(person.table.changelog)

    again = await person.do("birthing_person.erase")
    begin = await person.do("labour.begin", {"first_labour": False})

    assert again is not None and again["outcome"]["status"] == "accepted" and again["outcome"]["event_ids"] == []
    assert begin is not None and begin["outcome"]["error"]["code"] == "birthing_person_not_found"
    assert len(person.table.changelog) == stored, "no record is made for what is not there"


async def test_registering_again_after_an_erasure_starts_at_version_one_under_a_new_key() -> None:
    person = await in_labour_with_a_note()
    first_key = person.table["p1"].data_key
    await person.do("birthing_person.erase")

    await person.do("birthing_person.register", {"first_name": "Ada", "last_name": "King"})

    record = person.table["p1"]
    assert (record.version, record.state.latest_labour) == (1, None)
    assert record.data_key not in (None, first_key)
    with pytest.raises(Unopenable, match="not sealed with"):
        opened(person.published()[0], record.data_key)


def test_a_sealed_event_opens_only_under_its_own_key_and_envelope() -> None:
    event = EventEnvelope(
        id="e1", type="contraction.started", version=3, aggregate_id="p1", time=NOW, causation_id="c1",
        data={"notes": "breathe"},
    )  # fmt: skip
    key = new_key()
    sealed = seal(event, key)

    assert opened(sealed, key) == event
    with pytest.raises(Unopenable):
        opened(sealed, new_key())
    with pytest.raises(Unopenable):
        opened(sealed.model_copy(update={"aggregate_id": "p2"}), key)  # moved to another person's envelope
    assert opened(event, None) is event  # never sealed: as it is
