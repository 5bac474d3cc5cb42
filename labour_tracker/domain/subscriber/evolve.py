"""How each event changes a subscriber; replaying every event rebuilds the state exactly."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import assert_never

from labour_tracker.domain.subscriber.confirmation import CODES_SENT_KEPT
from labour_tracker.domain.subscriber.events import (
    BirthingPersonForgotten,
    ConfirmationCodeSent,
    ContactConfirmed,
    ContactMethodsUpdated,
    SubscribedTo,
    SubscriberErased,
    SubscriberEvent,
    SubscriberRegistered,
    SubscriptionContactMethodsSet,
    UnsubscribedFrom,
)
from labour_tracker.domain.subscriber.model import ContactMethod, PendingConfirmation, Subscriber, require_registered


def evolve(state: Subscriber | None, event: SubscriberEvent) -> Subscriber | None:
    """The state after the event, None once erased; never mutates the state it is given."""
    match event:
        case SubscriberRegistered():
            registered = Subscriber(
                id=event.subscriber_id,
                first_name=event.first_name,
                last_name=event.last_name,
                phone_number=event.phone_number,
                email=event.email,
                contact_methods=event.contact_methods,
            )
            reachable = frozenset(each for each in ContactMethod if registered.destination(each))
            return replace(registered, confirmed=reachable if event.confirmed is None else event.confirmed)
        case ConfirmationCodeSent():
            subscriber = require_registered(state)
            pending = PendingConfirmation(event.channel, event.code_digest, event.expires_at)
            sent = (*subscriber.codes_sent, event.sent_at)[-CODES_SENT_KEPT:]
            return replace(subscriber, confirmation=pending, codes_sent=sent)
        case ContactConfirmed():
            subscriber = require_registered(state)
            return replace(subscriber, confirmed=subscriber.confirmed | {event.channel}, confirmation=None)
        case ContactMethodsUpdated():
            return replace(require_registered(state), contact_methods=event.contact_methods)
        case SubscribedTo():
            subscriber = require_registered(state)
            return replace(
                subscriber,
                subscribed_to=subscriber.subscribed_to | {event.birthing_person_id},
                subscription_contact_methods=_chosen(subscriber, event.birthing_person_id, event.contact_methods),
            )
        case UnsubscribedFrom() | BirthingPersonForgotten():
            subscriber = require_registered(state)
            return replace(
                subscriber,
                subscribed_to=subscriber.subscribed_to - {event.birthing_person_id},
                subscription_contact_methods=_chosen(subscriber, event.birthing_person_id, None),
            )
        case SubscriptionContactMethodsSet():
            subscriber = require_registered(state)
            return replace(
                subscriber,
                subscription_contact_methods=_chosen(subscriber, event.birthing_person_id, event.contact_methods),
            )
        case SubscriberErased():
            return None
        case _:
            assert_never(event)


def _chosen(
    subscriber: Subscriber, birthing_person_id: str, contact_methods: frozenset[ContactMethod] | None
) -> dict[str, frozenset[ContactMethod]]:
    """The per-subscription choices with `birthing_person_id`'s set to `contact_methods` (None: no choice)."""
    chosen = {key: value for key, value in subscriber.subscription_contact_methods.items() if key != birthing_person_id}
    if contact_methods is not None:
        chosen[birthing_person_id] = contact_methods
    return chosen


def replay(events: Iterable[SubscriberEvent]) -> Subscriber | None:
    """The state the events build from nothing; None when there are none."""
    state: Subscriber | None = None
    for event in events:
        state = evolve(state, event)
    return state
