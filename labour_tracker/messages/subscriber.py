"""Commands of the subscriber topic: each type's payload, the REST body that sends it, and its entry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field, field_validator

from labour_tracker.domain import subscriber
from labour_tracker.domain.limits import MAX_AGGREGATE_ID_LENGTH
from labour_tracker.messages.commands import CommandType, WithCommandId, catalogue
from labour_tracker.messages.envelopes import Inbound

BIRTHING_PERSON_ID = Field(min_length=1, max_length=MAX_AGGREGATE_ID_LENGTH, description="Id of the birthing person.")


def each_once(value: Any) -> Any:
    """As documented (`uniqueItems`): a set would quietly drop a repeat the sender may not have meant."""
    if isinstance(value, list) and len(value) != len({repr(each) for each in value}):
        raise ValueError("each contact method at most once")
    return value


class ContactMethodsData(Inbound):
    contact_methods: frozenset[subscriber.ContactMethod] = Field(
        description="How to be told: `sms` needs a phone number, `email` an email address (both from your token)."
    )

    _each_once = field_validator("contact_methods", mode="before")(each_once)


class RegisterSubscriberData(ContactMethodsData):
    first_name: str = Field(max_length=200)
    last_name: str = Field(max_length=200)
    phone_number: str | None = Field(None, max_length=64)
    email: str | None = Field(None, max_length=320)
    verified: frozenset[subscriber.ContactMethod] = Field(
        frozenset(), description="Channels whose destination the identity provider verified: confirmed at once."
    )


class ChannelData(Inbound):
    channel: subscriber.ContactMethod = Field(description="`sms` (your phone number) or `email` (your address).")


class ConfirmContactData(ChannelData):
    code: str = Field(max_length=32, description="The code the service sent to that destination.")


SUBSCRIPTION_CONTACT_METHODS = Field(
    None,
    description="How to be told about this person only (`sms`, `email`, each needing its destination); left out, "
    "the account's contact methods apply.",
)


class SubscribeToData(Inbound):
    birthing_person_id: str = BIRTHING_PERSON_ID
    token_version: int | None = Field(
        None, ge=0, description="The version of the share token it was authorised with; the person checks it again."
    )
    contact_methods: frozenset[subscriber.ContactMethod] | None = SUBSCRIPTION_CONTACT_METHODS

    _each_once = field_validator("contact_methods", mode="before")(each_once)


class SubscriptionContactMethodsData(Inbound):
    birthing_person_id: str = BIRTHING_PERSON_ID
    contact_methods: frozenset[subscriber.ContactMethod] = Field(
        description="How to be told about this person: `sms` needs a phone number, `email` an email address."
    )

    _each_once = field_validator("contact_methods", mode="before")(each_once)


class UnsubscribeFromData(Inbound):
    birthing_person_id: str = BIRTHING_PERSON_ID


class EraseData(Inbound):
    pass


class ForgetBirthingPersonData(Inbound):
    birthing_person_id: str = BIRTHING_PERSON_ID


# REST request bodies: the payload (names, phone and email come from the caller's token), then an optional command id.
class ContactMethodsRequest(WithCommandId, ContactMethodsData):
    pass


class SubscriptionTokenData(Inbound):
    """A subscribe's body: the token the birthing person shared (the person's id is in the path)."""

    token: str = Field(max_length=256, description="The birthing person's current subscription token.")
    contact_methods: frozenset[subscriber.ContactMethod] | None = SUBSCRIPTION_CONTACT_METHODS

    _each_once = field_validator("contact_methods", mode="before")(each_once)


class SubscriptionTokenRequest(WithCommandId, SubscriptionTokenData):
    pass


class UnsubscribeFromRequest(WithCommandId, UnsubscribeFromData):
    pass


class ChannelRequest(WithCommandId, ChannelData):
    pass


class ConfirmContactRequest(WithCommandId, ConfirmContactData):
    pass


REGISTER = CommandType(
    subscriber.RegisterSubscriber,
    RegisterSubscriberData,
    "Register the subscriber with the ways they want to be told.",
    ContactMethodsRequest,
    build=lambda subscriber_id, data: subscriber.RegisterSubscriber(
        subscriber_id,
        data.first_name,
        data.last_name,
        data.phone_number,
        data.email,
        data.contact_methods,
        data.verified,
    ),
)
UPDATE_CONTACT_METHODS = CommandType(
    subscriber.UpdateContactMethods,
    ContactMethodsData,
    "Change the ways the subscriber wants to be told.",
    ContactMethodsRequest,
)
SUBSCRIBE_TO = CommandType(
    subscriber.SubscribeTo,
    SubscribeToData,
    "Subscribe to a birthing person (whose token was checked by `birthing_person.authorise_subscriber`).",
    SubscriptionTokenRequest,
)
UNSUBSCRIBE_FROM = CommandType(
    subscriber.UnsubscribeFrom, UnsubscribeFromData, "Unsubscribe from a birthing person.", UnsubscribeFromRequest
)

SET_SUBSCRIPTION_CONTACT_METHODS = CommandType(
    subscriber.SetSubscriptionContactMethods,
    SubscriptionContactMethodsData,
    "Choose the ways the subscriber wants to be told about one person they follow (the account's apply otherwise).",
    ContactMethodsRequest,
)

REQUEST_CONFIRMATION_CODE = CommandType(
    subscriber.RequestConfirmationCode,
    ChannelData,
    "Send a one-time code to the channel's destination, to confirm it (notifications go to confirmed ones only).",
    ChannelRequest,
)
CONFIRM_CONTACT = CommandType(
    subscriber.ConfirmContact,
    ConfirmContactData,
    "Confirm the channel's destination with the code sent there.",
    ConfirmContactRequest,
)

ERASE = CommandType(
    subscriber.EraseSubscriber,
    EraseData,
    "Delete the subscriber's account: their record goes, each person they followed lets go of them, and their "
    "events can no longer be read (their key is deleted with the record).",
)
FORGET_BIRTHING_PERSON = CommandType(
    subscriber.ForgetBirthingPerson,
    ForgetBirthingPersonData,
    "Let go of a birthing person who deleted their account, stopped the subscriber following them or turned their "
    "follow request down (sent by the service on `birthing_person.erased`, `birthing_person.follower_removed` and "
    "`birthing_person.follow_request_rejected`).",
    by_owner=False,
)

COMMANDS: Mapping[str, CommandType[subscriber.SubscriberCommand]] = catalogue(
    REGISTER,
    UPDATE_CONTACT_METHODS,
    SUBSCRIBE_TO,
    UNSUBSCRIBE_FROM,
    REQUEST_CONFIRMATION_CODE,
    CONFIRM_CONTACT,
    ERASE,
    FORGET_BIRTHING_PERSON,
    SET_SUBSCRIPTION_CONTACT_METHODS,
)
