"""Subscriptions: the people a birthing person chooses to keep informed."""

from labour_tracker.domain.subscriber.commands import (
    COMMAND_TYPES,
    ConfirmContact,
    EraseSubscriber,
    ForgetBirthingPerson,
    RegisterSubscriber,
    RequestConfirmationCode,
    SetSubscriptionContactMethods,
    SubscriberCommand,
    SubscribeTo,
    UnsubscribeFrom,
    UpdateContactMethods,
)
from labour_tracker.domain.subscriber.confirmation import CODE_DIGITS, CODE_LIFETIME, confirmation_code
from labour_tracker.domain.subscriber.decide import decide
from labour_tracker.domain.subscriber.events import (
    EVENT_TYPES,
    PERSONAL_EVENT_TYPES,
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
from labour_tracker.domain.subscriber.evolve import evolve, replay
from labour_tracker.domain.subscriber.model import ContactMethod, PendingConfirmation, Subscriber

__all__ = [
    "CODE_DIGITS",
    "CODE_LIFETIME",
    "COMMAND_TYPES",
    "EVENT_TYPES",
    "PERSONAL_EVENT_TYPES",
    "BirthingPersonForgotten",
    "ConfirmContact",
    "ConfirmationCodeSent",
    "ContactConfirmed",
    "ContactMethod",
    "ContactMethodsUpdated",
    "EraseSubscriber",
    "ForgetBirthingPerson",
    "PendingConfirmation",
    "RegisterSubscriber",
    "RequestConfirmationCode",
    "SetSubscriptionContactMethods",
    "SubscribeTo",
    "SubscribedTo",
    "Subscriber",
    "SubscriberCommand",
    "SubscriberErased",
    "SubscriberEvent",
    "SubscriberRegistered",
    "SubscriptionContactMethodsSet",
    "UnsubscribeFrom",
    "UnsubscribedFrom",
    "UpdateContactMethods",
    "confirmation_code",
    "decide",
    "evolve",
    "replay",
]
