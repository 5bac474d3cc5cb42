"""Commands of the birthing-person topic: each type's payload (also the REST API's request bodies)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import AwareDatetime, Field

from labour_tracker.domain import labour, limits
from labour_tracker.messages.commands import CommandType, catalogue, command_type
from labour_tracker.messages.envelopes import MAX_AGGREGATE_ID_LENGTH, Inbound

NOTES = Field(
    None,
    max_length=limits.NOTE_BYTES.maximum,
    description=f"Free text: at most {limits.NOTE_BYTES.maximum:,} bytes of UTF-8 (`note_too_long`), with tabs and "
    f"line breaks the only control characters (`note_not_text`); a labour's notes together at most "
    f"{limits.NOTES_BYTES_PER_LABOUR.maximum:,} bytes (`notes_limit_reached`).",
)
INTENSITY_RANGE: dict[str, Any] = {"minimum": 1, "maximum": 10}  # documented here, enforced by the domain (422)


class RegisterBirthingPersonData(Inbound):
    first_name: str = Field(max_length=200)
    last_name: str = Field(max_length=200)


class BeginLabourData(Inbound):
    first_labour: bool = Field(description="A first labour uses the 3-1-1 hospital rule, later ones 5-1-1.")
    start_time: AwareDatetime | None = Field(None, description="Back-dating allowed; default: now.")


class StartContractionData(Inbound):
    intensity: int | None = Field(None, json_schema_extra=INTENSITY_RANGE)
    start_time: AwareDatetime | None = Field(None, description="Default: now.")
    notes: str | None = NOTES


class EndContractionData(Inbound):
    intensity: int = Field(json_schema_extra=INTENSITY_RANGE)
    end_time: AwareDatetime | None = Field(None, description="Default: now.")
    notes: str | None = NOTES


class CompleteLabourData(Inbound):
    end_time: AwareDatetime | None = Field(None, description="Default: now.")
    notes: str | None = NOTES


class RotateSubscriptionTokenData(Inbound):
    pass


class SubscriberData(Inbound):
    subscriber_id: str = Field(min_length=1, max_length=MAX_AGGREGATE_ID_LENGTH)


class AuthoriseSubscriberData(SubscriberData):
    token: str = Field(max_length=256, description="The subscription token the birthing person shared.")


COMMANDS: Mapping[str, CommandType[labour.BirthingPersonCommand]] = catalogue(
    command_type(
        labour.RegisterBirthingPerson.TYPE,
        RegisterBirthingPersonData,
        lambda person_id, data: labour.RegisterBirthingPerson(person_id, data.first_name, data.last_name),
        command=labour.RegisterBirthingPerson,
        summary="Register the birthing person.",
    ),
    command_type(labour.BeginLabour.TYPE, BeginLabourData, command=labour.BeginLabour, summary="Begin labour."),
    command_type(
        labour.StartContraction.TYPE,
        StartContractionData,
        command=labour.StartContraction,
        summary="Start a contraction.",
    ),
    command_type(
        labour.EndContraction.TYPE, EndContractionData, command=labour.EndContraction, summary="End the contraction."
    ),
    command_type(
        labour.CompleteLabour.TYPE, CompleteLabourData, command=labour.CompleteLabour, summary="Complete labour."
    ),
    command_type(
        labour.RotateSubscriptionToken.TYPE,
        RotateSubscriptionTokenData,
        command=labour.RotateSubscriptionToken,
        summary="Rotate the subscription token: every earlier token stops working.",
    ),
    command_type(
        labour.AddSubscriber.TYPE,
        SubscriberData,
        command=labour.AddSubscriber,
        summary="Add a subscriber (applied from `subscriber.subscribed_to`).",
    ),
    command_type(
        labour.RemoveSubscriber.TYPE,
        SubscriberData,
        command=labour.RemoveSubscriber,
        summary="Remove a subscriber (applied from `subscriber.unsubscribed_from`).",
    ),
    command_type(
        labour.AuthoriseSubscriber.TYPE,
        AuthoriseSubscriberData,
        command=labour.AuthoriseSubscriber,
        summary="Check a subscriber's token before they subscribe: accepted with no events, or refused.",
    ),
)
