"""Whatever subscribers do, in any order and however often Kafka redelivers, both sides agree."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from labour_tracker.domain import labour
from labour_tracker.domain.errors import DomainError
from labour_tracker.domain.subscriber import (
    ContactMethod,
    RegisterSubscriber,
    SetSubscriptionContactMethods,
    SubscribedTo,
    Subscriber,
    SubscriberCommand,
    SubscriberEvent,
    SubscribeTo,
    SubscriptionContactMethodsSet,
    UnsubscribedFrom,
    UnsubscribeFrom,
    UpdateContactMethods,
    decide,
    evolve,
    replay,
)

NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
SAM = "sam-sub"
KIT = "kit-sub"
BIRTHING_PEOPLE = ("bea-bp", "rosa-bp", "ada-bp")


def choices_of(subscriber_id: str) -> st.SearchStrategy[list[SubscriberCommand]]:
    """Random subscribe / unsubscribe / resubscribe choices, many of which decide must refuse."""
    person = st.sampled_from((*BIRTHING_PEOPLE, subscriber_id))
    methods = st.frozensets(st.sampled_from(ContactMethod))
    return st.lists(
        st.one_of(
            # A choice made when subscribing is never empty here, so a subscribe is refused only for oneself.
            st.builds(
                SubscribeTo,
                person,
                contact_methods=st.none() | st.frozensets(st.sampled_from(ContactMethod), min_size=1),
            ),
            st.builds(UnsubscribeFrom, person),
            st.builds(UpdateContactMethods, methods),
            st.builds(SetSubscriptionContactMethods, person, methods),
        ),
        max_size=40,
    )


def live(subscriber_id: str, choices: Sequence[SubscriberCommand]) -> tuple[Subscriber, list[SubscriberEvent]]:
    """Registers, then decides each choice in turn as the agent would: a refused one changes nothing."""
    registration = RegisterSubscriber(
        subscriber_id, "Sam", "Okafor", "+447700900123", "sam@example.org", frozenset({ContactMethod.SMS})
    )
    history = decide(None, registration, now=NOW)
    state = replay(history)
    assert state is not None
    for command in choices:
        try:
            events = decide(state, command, now=NOW)
        except DomainError:
            continue
        for event in events:
            state = evolve(state, event)
        history.extend(events)
    return state, history


MembershipEvent = SubscribedTo | UnsubscribedFrom


def for_person(person: str, history: Sequence[SubscriberEvent]) -> list[MembershipEvent]:
    """What reaches the birthing person's partition once the subscriber's events are re-keyed."""
    return [
        event
        for event in history
        if isinstance(event, SubscribedTo | UnsubscribedFrom) and event.birthing_person_id == person
    ]


def interleaved(data: st.DataObject, streams: Sequence[Sequence[MembershipEvent]]) -> list[MembershipEvent]:
    """Subscribers' events meet on the person's partition in any interleaving, each keeping its order."""
    queues = [list(stream) for stream in streams if stream]
    merged: list[MembershipEvent] = []
    while queues:
        queue = queues[data.draw(st.integers(0, len(queues) - 1))]
        merged.append(queue.pop(0))
        queues = [queue for queue in queues if queue]
    return merged


def delivered_at_least_once(data: st.DataObject, events: Sequence[MembershipEvent]) -> list[MembershipEvent]:
    """In order, but a consumer that dies before committing gets everything since its last commit again."""
    delivered: list[MembershipEvent] = []
    position = 0
    redeliveries_left = 5
    while position < len(events):
        delivered.append(events[position])
        position += 1
        if redeliveries_left and data.draw(st.booleans()):
            redeliveries_left -= 1
            position = data.draw(st.integers(0, position))
    return delivered


def members_after(events: Sequence[MembershipEvent]) -> frozenset[str]:
    """The person's side as the system keeps it: each delivered event applied as Add/RemoveSubscriber; those still
    asking to follow count, as the subscriber's side holds them too."""
    person: labour.BirthingPerson | None = None
    for event in events:
        if person is None:
            person = labour.evolve(None, labour.BirthingPersonRegistered(event.birthing_person_id, "Bea", "P"))
        command: labour.BirthingPersonCommand = (
            labour.AddSubscriber(event.subscriber_id)
            if isinstance(event, SubscribedTo)
            else labour.RemoveSubscriber(event.subscriber_id)
        )
        for change in labour.decide(person, command, now=NOW, command_id="delivery", subscription_secret=b"s"):
            person = labour.evolve(person, change)
    return person.subscribers | frozenset(person.follow_requests) if person is not None else frozenset()


@given(choices_of(SAM))
def test_replaying_a_subscribers_events_rebuilds_exactly_the_state_the_agent_holds(
    choices: list[SubscriberCommand],
) -> None:
    state, history = live(SAM, choices)

    assert replay(history) == state


@given(choices_of(SAM))
def test_news_about_each_person_followed_goes_by_the_channels_last_chosen_for_them_or_the_accounts(
    choices: list[SubscriberCommand],
) -> None:
    state, history = live(SAM, choices)

    assert state.subscription_contact_methods.keys() <= state.subscribed_to
    for person in state.subscribed_to:
        chosen: frozenset[ContactMethod] | None = None
        for event in history:  # since the person was last subscribed to, the latest choice for them
            if isinstance(event, SubscribedTo | SubscriptionContactMethodsSet) and event.birthing_person_id == person:
                chosen = event.contact_methods
        assert state.contact_methods_for(person) == (state.contact_methods if chosen is None else chosen)


@given(choices_of(SAM))
def test_a_subscriber_follows_exactly_the_people_they_last_chose_to_follow(
    choices: list[SubscriberCommand],
) -> None:
    following: set[str] = set()
    for command in choices:
        if isinstance(command, SubscribeTo) and command.birthing_person_id != SAM:
            following.add(command.birthing_person_id)
        elif isinstance(command, UnsubscribeFrom):
            following.discard(command.birthing_person_id)

    state, _ = live(SAM, choices)

    assert state.subscribed_to == following


@given(choices_of(SAM))
def test_every_other_subscription_choice_alternates_subscribe_and_unsubscribe_per_person(
    choices: list[SubscriberCommand],
) -> None:
    _, history = live(SAM, choices)

    for person in BIRTHING_PEOPLE:
        kinds = [type(event) for event in for_person(person, history)]
        assert kinds[0::2] == [SubscribedTo] * len(kinds[0::2])
        assert kinds[1::2] == [UnsubscribedFrom] * len(kinds[1::2])
    assert for_person(SAM, history) == []


@given(choices_of(SAM), st.data())
def test_a_birthing_persons_subscribers_agree_with_the_subscribers_side_despite_redelivery(
    choices: list[SubscriberCommand], data: st.DataObject
) -> None:
    state, history = live(SAM, choices)

    for person in BIRTHING_PEOPLE:
        members = members_after(delivered_at_least_once(data, for_person(person, history)))
        assert (SAM in members) == (person in state.subscribed_to)


@given(choices_of(SAM), choices_of(KIT), st.data())
def test_a_birthing_person_ends_with_exactly_the_subscribers_who_follow_them(
    sams_choices: list[SubscriberCommand], kits_choices: list[SubscriberCommand], data: st.DataObject
) -> None:
    sam, sams_history = live(SAM, sams_choices)
    kit, kits_history = live(KIT, kits_choices)

    for person in BIRTHING_PEOPLE:
        arriving = interleaved(data, [for_person(person, sams_history), for_person(person, kits_history)])
        members = members_after(delivered_at_least_once(data, arriving))
        assert members == {subscriber.id for subscriber in (sam, kit) if person in subscriber.subscribed_to}
