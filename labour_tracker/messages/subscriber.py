"""Commands of the subscriber topic: each type's payload (the contact-method ones are also REST request bodies)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field, field_validator

from labour_tracker.domain import subscriber
from labour_tracker.messages.commands import CommandType, catalogue, command_type
from labour_tracker.messages.envelopes import MAX_AGGREGATE_ID_LENGTH, Inbound

BIRTHING_PERSON_ID = Field(min_length=1, max_length=MAX_AGGREGATE_ID_LENGTH, description="Id of the birthing person.")


class ContactMethodsData(Inbound):
    contact_methods: frozenset[subscriber.ContactMethod] = Field(
        description="How to be told: `sms` needs a phone number, `email` an email address (both from your token)."
    )

    @field_validator("contact_methods", mode="before")
    @classmethod
    def _each_once(cls, value: Any) -> Any:
        """As documented (`uniqueItems`): a set would quietly drop a repeat the sender may not have meant."""
        if isinstance(value, list) and len(value) != len({repr(each) for each in value}):
            raise ValueError("each contact method at most once")
        return value


class RegisterSubscriberData(ContactMethodsData):
    first_name: str = Field(max_length=200)
    last_name: str = Field(max_length=200)
    phone_number: str | None = Field(None, max_length=64)
    email: str | None = Field(None, max_length=320)


class SubscribeToData(Inbound):
    birthing_person_id: str = BIRTHING_PERSON_ID


class UnsubscribeFromData(Inbound):
    birthing_person_id: str = BIRTHING_PERSON_ID


COMMANDS: Mapping[str, CommandType[subscriber.SubscriberCommand]] = catalogue(
    command_type(
        subscriber.RegisterSubscriber.TYPE,
        RegisterSubscriberData,
        lambda subscriber_id, data: subscriber.RegisterSubscriber(
            subscriber_id, data.first_name, data.last_name, data.phone_number, data.email, data.contact_methods
        ),
        command=subscriber.RegisterSubscriber,
        summary="Register the subscriber with the ways they want to be told.",
    ),
    command_type(
        subscriber.UpdateContactMethods.TYPE,
        ContactMethodsData,
        command=subscriber.UpdateContactMethods,
        summary="Change the ways the subscriber wants to be told.",
    ),
    command_type(
        subscriber.SubscribeTo.TYPE,
        SubscribeToData,
        command=subscriber.SubscribeTo,
        summary="Subscribe to a birthing person (whose token was checked by `birthing_person.authorise_subscriber`).",
    ),
    command_type(
        subscriber.UnsubscribeFrom.TYPE,
        UnsubscribeFromData,
        command=subscriber.UnsubscribeFrom,
        summary="Unsubscribe from a birthing person.",
    ),
)
