"""Subscriptions: the people a birthing person chooses to keep informed."""

from labour_tracker.domain.subscriber.commands import (
    COMMAND_TYPES,
    RegisterSubscriber,
    SubscriberCommand,
    SubscribeTo,
    UnsubscribeFrom,
    UpdateContactMethods,
)
from labour_tracker.domain.subscriber.decide import decide
from labour_tracker.domain.subscriber.events import (
    EVENT_TYPES,
    ContactMethodsUpdated,
    SubscribedTo,
    SubscriberEvent,
    SubscriberRegistered,
    UnsubscribedFrom,
)
from labour_tracker.domain.subscriber.evolve import evolve, replay
from labour_tracker.domain.subscriber.model import ContactMethod, Subscriber

__all__ = [
    "COMMAND_TYPES",
    "EVENT_TYPES",
    "ContactMethod",
    "ContactMethodsUpdated",
    "RegisterSubscriber",
    "SubscribeTo",
    "SubscribedTo",
    "Subscriber",
    "SubscriberCommand",
    "SubscriberEvent",
    "SubscriberRegistered",
    "UnsubscribeFrom",
    "UnsubscribedFrom",
    "UpdateContactMethods",
    "decide",
    "evolve",
    "replay",
]
