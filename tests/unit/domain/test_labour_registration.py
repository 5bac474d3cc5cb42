"""Stories of a birthing person joining, sharing their subscription token and gaining subscribers."""

from __future__ import annotations

import pytest

from labour_tracker.domain.errors import ErrorKind
from labour_tracker.domain.labour import (
    AddSubscriber,
    BeginLabour,
    BirthingPerson,
    BirthingPersonCommand,
    BirthingPersonRegistered,
    CompleteLabour,
    EndContraction,
    FollowRequested,
    RegisterBirthingPerson,
    RemoveSubscriber,
    RotateSubscriptionToken,
    StartContraction,
    SubscriberRemoved,
    SubscriberTurnedAway,
    SubscriptionTokenRotated,
)
from tests.unit.domain.labour_story import ALICE, Story, registered


def test_a_new_birthing_person_registers_with_no_labours_no_subscribers_and_token_version_zero() -> None:
    story = Story()

    events = story.do(RegisterBirthingPerson(ALICE, "Alice", "Moyo"))

    assert events == [BirthingPersonRegistered(ALICE, "Alice", "Moyo")]
    assert story.state == BirthingPerson(
        id=ALICE,
        first_name="Alice",
        last_name="Moyo",
        latest_labour=None,
        past_labours=(),
        subscribers=frozenset(),
        subscription_token_version=0,
    )
    assert story.person.active_labour is None


def test_registering_twice_is_a_conflict() -> None:
    story = registered()

    error = story.refuses(RegisterBirthingPerson(ALICE, "Alice", "Moyo"))

    assert (error.kind, error.code) == (ErrorKind.CONFLICT, "birthing_person_already_registered")


@pytest.mark.parametrize(
    "command",
    [
        BeginLabour(first_labour=True),
        StartContraction(),
        EndContraction(intensity=5),
        CompleteLabour(),
        RotateSubscriptionToken(),
        AddSubscriber("sam-sub"),
        RemoveSubscriber("sam-sub"),
    ],
    ids=lambda command: command.TYPE,
)
def test_anything_asked_of_an_unregistered_person_is_not_found(command: BirthingPersonCommand) -> None:
    error = Story().refuses(command)

    assert (error.kind, error.code) == (ErrorKind.NOT_FOUND, "birthing_person_not_found")


def test_rotating_the_subscription_token_moves_to_the_next_version_each_time() -> None:
    story = registered()

    first = story.do(RotateSubscriptionToken())
    second = story.do(RotateSubscriptionToken())

    assert first == [SubscriptionTokenRotated(ALICE, 1)]
    assert second == [SubscriptionTokenRotated(ALICE, 2)]
    assert story.person.subscription_token_version == 2


def test_rotating_the_token_keeps_existing_subscribers() -> None:
    story = registered()
    story.follows("sam-sub")

    story.do(RotateSubscriptionToken())

    assert story.person.subscribers == {"sam-sub"}


def test_a_subscriber_who_subscribes_asks_once_even_when_the_event_is_redelivered() -> None:
    story = registered()

    first = story.do(AddSubscriber("sam-sub"))
    redelivered = story.do(AddSubscriber("sam-sub"))

    assert first == [FollowRequested(ALICE, "sam-sub")]
    assert redelivered == []
    assert (story.person.follow_requests, story.person.subscribers) == (("sam-sub",), frozenset())


def test_a_subscriber_who_unsubscribes_is_removed_and_a_redelivery_changes_nothing() -> None:
    story = registered()
    story.follows("sam-sub")
    story.follows("bea-sub")

    first = story.do(RemoveSubscriber("sam-sub"))
    redelivered = story.do(RemoveSubscriber("sam-sub"))

    assert first == [SubscriberRemoved(ALICE, "sam-sub")]
    assert redelivered == []
    assert story.person.subscribers == {"bea-sub"}


def test_removing_someone_who_never_subscribed_is_quietly_ignored() -> None:
    story = registered()

    assert story.do(RemoveSubscriber("stranger-sub")) == []
    assert story.person.subscribers == frozenset()


def test_a_subscribe_authorised_with_a_token_rotated_since_is_turned_away_where_it_is_made() -> None:
    story = registered()
    story.do(RotateSubscriptionToken())  # version 1: a subscribe checked against version 0 was in flight

    stale = story.do(AddSubscriber("sam-sub", token_version=0))
    current = story.do(AddSubscriber("bea-sub", token_version=1))
    from_before = story.do(AddSubscriber("kim-sub"))  # an event from before versions were carried

    assert stale == [SubscriberTurnedAway(ALICE, "sam-sub")]
    assert current == [FollowRequested(ALICE, "bea-sub")] and from_before == [FollowRequested(ALICE, "kim-sub")]
    assert story.person.follow_requests == ("bea-sub", "kim-sub")
