"""Table records on their changelog: encoded once however often they are written."""

from __future__ import annotations

from dataclasses import replace

from labour_tracker.domain.subscriber import Subscriber
from labour_tracker.tables.records import AggregateRecord, RecordCodec

ADA = Subscriber(
    id="s1", first_name="Ada", last_name="L", phone_number=None, email=None, contact_methods=frozenset(),
    subscribed_to=frozenset(),
)  # fmt: skip


def test_a_record_written_to_the_store_and_then_the_changelog_is_encoded_once() -> None:
    codec = RecordCodec(Subscriber)
    record = AggregateRecord(ADA, version=1)
    first = codec.dumps(record)
    assert codec.dumps(record) is first
    later = replace(record, version=2)
    assert codec.loads(codec.dumps(later)) == later
    assert codec.loads(first) == record
