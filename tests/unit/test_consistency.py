"""The consistency checker's verdicts: events folded once each, and every way a table or mirror can disagree."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from labour_tracker.consistency import KINDS, compare_mirror, compare_table, fold
from labour_tracker.domain.labour import (
    BirthingPersonErased,
    BirthingPersonRegistered,
    FollowRequested,
    LabourBegun,
    LabourUpdateDeleted,
    LabourUpdateEdited,
    LabourUpdatePosted,
    Role,
    SubscriberAdded,
    UpdateKind,
)
from labour_tracker.domain.subscriber import ContactMethod, SubscribedTo, SubscriberRegistered
from labour_tracker.messages.codec import to_data
from labour_tracker.messages.envelopes import EventEnvelope
from labour_tracker.messages.sealing import new_key, seal
from labour_tracker.tables.records import AggregateRecord

PERSON = KINDS[0]
BEGAN = datetime(2026, 11, 26, 9, tzinfo=UTC)


def envelope(event: Any, version: int, event_id: str | None = None) -> EventEnvelope:
    return EventEnvelope(
        id=event_id or f"e{version}", type=event.TYPE, version=version, aggregate_id="p1", time=BEGAN,
        causation_id=f"c{version}", data=to_data(event),
    )  # fmt: skip


REGISTERED = envelope(BirthingPersonRegistered("p1", "Ada", "Lovelace"), 1)
BEGUN = envelope(LabourBegun("p1", "l1", True, BEGAN), 2)


def test_a_republished_event_is_folded_once() -> None:
    rebuilt = fold(PERSON, [REGISTERED, BEGUN, BEGUN])["p1"]
    assert (rebuilt.version, rebuilt.gap, list(rebuilt.parts)) == (2, None, ["l1"])


def test_a_missing_version_is_reported_as_a_gap_in_the_events() -> None:
    rebuilt = fold(PERSON, [REGISTERED, envelope(LabourBegun("p1", "l1", True, BEGAN), 3)])
    assert rebuilt["p1"].gap == 2
    assert [(f.where, f.what) for f in compare_table(PERSON, rebuilt, {})] == [("events", "version 2 is missing")]


def test_a_table_behind_missing_or_different_from_its_events_is_reported() -> None:
    rebuilt = fold(PERSON, [REGISTERED, BEGUN])
    current = rebuilt["p1"]
    behind = fold(PERSON, [REGISTERED])["p1"]
    assert compare_table(PERSON, rebuilt, {"p1": AggregateRecord(current.state, 2)}) == []
    assert [f.what for f in compare_table(PERSON, rebuilt, {"p1": AggregateRecord(behind.state, 1)})] == [
        "v1, events reach v2"
    ]
    assert [f.what for f in compare_table(PERSON, rebuilt, {"p1": AggregateRecord(behind.state, 2)})] == [
        "v2 differs from its events"
    ]
    assert [f.what for f in compare_table(PERSON, rebuilt, {})] == ["missing (events reach v2)"]
    stray = {"p2": AggregateRecord(current.state, 2), "p1": AggregateRecord(current.state, 2)}
    assert [(f.aggregate_id, f.what) for f in compare_table(PERSON, rebuilt, stray)] == [
        ("p2", "holds an aggregate no event created")
    ]


def test_a_mirror_missing_a_row_or_holding_another_version_is_reported() -> None:
    rebuilt = fold(PERSON, [REGISTERED, BEGUN])
    exact = {"p1": PERSON.mirror_rows(rebuilt["p1"])}
    assert compare_mirror(PERSON, rebuilt, exact) == []
    stale = {"p1": {**exact["p1"], "version": 1, "labours": []}}
    assert [f.what for f in compare_mirror(PERSON, rebuilt, stale)] == ["differs from its events in version, labours"]
    assert [f.what for f in compare_mirror(PERSON, rebuilt, {})] == ["missing (events reach v2)"]


def test_an_erased_person_is_expected_nowhere_and_a_registration_after_it_starts_again() -> None:
    key = new_key()
    sealed = [seal(each, key) for each in (REGISTERED, BEGUN)]  # their key went with the record
    erased = envelope(BirthingPersonErased("p1", ()), 3)
    again = envelope(BirthingPersonRegistered("p1", "Ada", "King"), 1, "e-again")

    assert fold(PERSON, [*sealed, erased]) == {}
    rebuilt = fold(PERSON, [*sealed, erased, again])["p1"]
    assert (rebuilt.version, rebuilt.gap, rebuilt.state.last_name) == (1, None, "King")


def test_a_copy_sealed_under_a_key_a_crash_lost_gives_way_to_the_copy_that_opens() -> None:
    lost = seal(BEGUN, new_key())  # published, then the worker died before the record with its key was stored

    rebuilt = fold(PERSON, [REGISTERED, lost, BEGUN])["p1"]

    assert (rebuilt.version, rebuilt.gap, list(rebuilt.parts)) == (2, None, ["l1"])


def test_a_mirror_whose_subscription_channels_are_not_the_ones_chosen_is_reported() -> None:
    subscribers = KINDS[1]
    both = frozenset(ContactMethod)
    registered = envelope(SubscriberRegistered("p1", "Sam", "Lee", "+447700900123", "s@example.org", both, both), 1)
    sister = envelope(SubscribedTo("p1", "sister", contact_methods=frozenset({ContactMethod.SMS})), 2)
    friend = envelope(SubscribedTo("p1", "friend"), 3)
    rebuilt = fold(subscribers, [registered, sister, friend])

    expected = subscribers.mirror_rows(rebuilt["p1"])
    assert expected == {
        "version": 3,
        "subscribed_to": ["friend", "sister"],
        "contact_methods": [["email", "sms"], ["sms"]],
    }
    assert compare_mirror(subscribers, rebuilt, {"p1": expected}) == []
    accounts = {"p1": {**expected, "contact_methods": [["email", "sms"], ["email", "sms"]]}}
    assert [f.what for f in compare_mirror(subscribers, rebuilt, accounts)] == [
        "differs from its events in contact_methods"
    ]


def test_the_mirror_must_hold_each_update_as_last_edited_and_none_deleted() -> None:
    posted = [
        envelope(LabourUpdatePosted("p1", "l1", f"u{n}", UpdateKind.STATUS_UPDATE, "hi", None, "p1", BEGAN), 2 + n)
        for n in (1, 2)
    ]
    edited = envelope(LabourUpdateEdited("p1", "l1", "u1", "hello", BEGAN), 5)
    deleted = envelope(LabourUpdateDeleted("p1", "l1", "u2"), 6)
    rebuilt = fold(PERSON, [REGISTERED, BEGUN, *posted, edited, deleted])
    exact = PERSON.mirror_rows(rebuilt["p1"])

    assert exact["updates"] == [("u1", "status_update", BEGAN)]
    still_there = {**exact, "updates": [*exact["updates"], ("u2", "status_update", None)]}
    assert [f.what for f in compare_mirror(PERSON, rebuilt, {"p1": still_there})] == [
        "differs from its events in updates"
    ]


def test_a_mirror_whose_followers_differ_from_the_persons_events_is_reported() -> None:
    events = [
        REGISTERED,
        envelope(FollowRequested("p1", "zed"), 2),
        envelope(FollowRequested("p1", "sam"), 3),
        envelope(SubscriberAdded("p1", "sam", Role.FRIENDS_AND_FAMILY), 4),
        envelope(SubscriberAdded("p1", "old"), 5),  # from before roles: a birth partner
    ]
    rebuilt = fold(PERSON, events)
    expected = PERSON.mirror_rows(rebuilt["p1"])
    assert expected["followers"] == [
        ("old", "approved", "birth_partner"),
        ("sam", "approved", "friends_and_family"),
        ("zed", "pending", None),
    ]
    assert compare_mirror(PERSON, rebuilt, {"p1": expected}) == []
    lost = {"p1": {**expected, "followers": expected["followers"][:2]}}
    assert [f.what for f in compare_mirror(PERSON, rebuilt, lost)] == ["differs from its events in followers"]
