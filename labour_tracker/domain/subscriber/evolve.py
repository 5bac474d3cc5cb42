"""How each event changes a subscriber; replaying every event rebuilds the state exactly."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import assert_never

from labour_tracker.domain.subscriber.events import (
    ContactMethodsUpdated,
    SubscribedTo,
    SubscriberEvent,
    SubscriberRegistered,
    UnsubscribedFrom,
)
from labour_tracker.domain.subscriber.model import Subscriber, require_registered


def evolve(state: Subscriber | None, event: SubscriberEvent) -> Subscriber:
    """The state after the event; never mutates the state it is given."""
    match event:
        case SubscriberRegistered():
            return Subscriber(
                id=event.subscriber_id,
                first_name=event.first_name,
                last_name=event.last_name,
                phone_number=event.phone_number,
                email=event.email,
                contact_methods=event.contact_methods,
            )
        case ContactMethodsUpdated():
            return replace(require_registered(state), contact_methods=event.contact_methods)
        case SubscribedTo():
            subscriber = require_registered(state)
            return replace(subscriber, subscribed_to=subscriber.subscribed_to | {event.birthing_person_id})
        case UnsubscribedFrom():
            subscriber = require_registered(state)
            return replace(subscriber, subscribed_to=subscriber.subscribed_to - {event.birthing_person_id})
        case _:
            assert_never(event)


def replay(events: Iterable[SubscriberEvent]) -> Subscriber | None:
    """The state the events build from nothing; None when there are none."""
    state: Subscriber | None = None
    for event in events:
        state = evolve(state, event)
    return state
