"""Table records on their changelog: encoded once however often they are written, and read back as they were."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from labour_tracker.domain.labour import (
    Alert,
    BirthingPerson,
    Contraction,
    Labour,
    LabourUpdate,
    Moment,
    PastLabour,
    Phase,
    UpdateKind,
)
from labour_tracker.domain.notification import Notification, NotificationStatus
from labour_tracker.domain.notification.destination import DestinationLog, MessageCounted
from labour_tracker.domain.subscriber import ContactMethod, Subscriber
from labour_tracker.messages.envelopes import ErrorBody, Outcome
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


texts = st.text(max_size=12)
times = st.datetimes(datetime(2020, 1, 1), datetime(2030, 1, 1), timezones=st.just(UTC))
contractions = st.builds(
    Contraction, texts, times, st.none() | times, st.none() | st.integers(1, 10), st.none() | texts
)
updates = st.builds(
    LabourUpdate, texts, st.sampled_from(UpdateKind), st.none() | texts, texts, times, st.none() | times,
    st.none() | st.sampled_from(Moment),
)  # fmt: skip
labours = st.builds(
    Labour,
    texts,
    st.booleans(),
    times,
    st.none() | times,
    st.sampled_from(Phase),
    st.none() | texts,
    st.lists(contractions, max_size=6).map(tuple),
    st.frozensets(st.sampled_from(Alert)),
    updates=st.lists(updates, max_size=4).map(tuple),
    announced_at=st.none() | times,
)
past_labours = st.builds(PastLabour, texts, st.booleans(), times, times, st.integers(0, 1000))
persons = st.builds(
    BirthingPerson,
    texts,
    texts,
    texts,
    st.none() | labours,
    st.lists(past_labours, max_size=3).map(tuple),
    st.frozensets(texts),
    st.integers(0, 2**63 - 1),
    follow_requests=st.lists(texts, max_size=3, unique=True).map(tuple),
    friends_and_family=st.frozensets(texts, max_size=3),
    approve_followers_at_once=st.booleans(),
)
subscribers = st.builds(
    Subscriber,
    texts,
    texts,
    texts,
    st.none() | texts,
    st.none() | texts,
    st.frozensets(st.sampled_from(ContactMethod)),
    st.frozensets(texts),
)
notifications = st.builds(
    Notification,
    **{name: texts for name in ("id", "event_id", "event_type", "birthing_person_id", "labour_id", "subscriber_id")},
    channel=st.sampled_from(ContactMethod),
    destination=texts,
    status=st.sampled_from(NotificationStatus),
    provider_id=st.none() | texts,
    reason=st.none() | texts,
    attempts=st.integers(0, 9),
    created_at=times,
    updated_at=times,
)
outcomes = st.builds(
    Outcome,
    command_id=texts,
    command_type=st.none() | texts,
    aggregate_id=st.none() | texts,
    status=st.sampled_from(["accepted", "rejected"]),
    version=st.none() | st.integers(0, 2**63 - 1),
    event_ids=st.lists(texts, max_size=2).map(tuple),
    error=st.none() | st.builds(ErrorBody, kind=texts, code=texts, description=texts),
    time=times,
)


def records(states: st.SearchStrategy[Any]) -> st.SearchStrategy[AggregateRecord[Any]]:
    return st.builds(
        AggregateRecord,
        st.none() | states,
        st.integers(0, 2**63 - 1),
        st.lists(outcomes, max_size=4).map(tuple),
        st.none() | st.tuples(st.integers(0, 7), st.integers(0, 2**63 - 1)),
    )


@given(st.lists(records(persons), min_size=1, max_size=3), records(subscribers), records(notifications))
def test_every_record_reads_back_as_it_was_written_however_many_of_its_parts_were_encoded_before(
    persons_records: list[AggregateRecord[Any]],
    subscriber_record: AggregateRecord[Any],
    notification_record: AggregateRecord[Any],
) -> None:
    codec = RecordCodec(BirthingPerson)
    for record in persons_records:  # later ones may share contractions and outcomes with the ones before
        grown = replace(record, processed=(*persons_records[0].processed, *record.processed))
        assert codec.loads(codec.dumps(grown)) == grown
    assert codec.loads(codec.dumps(persons_records[0])) == persons_records[0]
    for state_type, record in ((Subscriber, subscriber_record), (Notification, notification_record)):
        assert RecordCodec(state_type).loads(RecordCodec(state_type).dumps(record)) == record


def test_a_record_is_read_back_whatever_part_it_shares_with_the_one_written_before() -> None:
    first = Contraction("c-1", datetime(2026, 3, 1, 9, tzinfo=UTC), None, None, None)
    labour = Labour("l-1", True, first.start_time, None, Phase.EARLY, None, (first,), frozenset())
    before = AggregateRecord(BirthingPerson("p", "A", "B", labour, (), frozenset(), 0), 3)
    ended = replace(first, end_time=datetime(2026, 3, 1, 9, 1, tzinfo=UTC), intensity=4)
    after = replace(before, state=replace(before.state, latest_labour=replace(labour, contractions=(ended,))))
    codec = RecordCodec(BirthingPerson)
    codec.dumps(before)
    assert codec.loads(codec.dumps(after)) == after  # the ended contraction is a new object: encoded anew


def test_a_destinations_count_reads_back_from_its_changelog_as_it_was() -> None:
    codec = RecordCodec(DestinationLog)
    counted = tuple(MessageCounted(f"n-{index}", datetime(2025, 3, 14, 6, index, tzinfo=UTC)) for index in range(3))
    record = AggregateRecord(DestinationLog("0f" * 16, counted), version=3)

    assert codec.loads(codec.dumps(record)) == record
