"""The live message: what one accepted command changed of a person's labour, as its readers are shown it.

The birthing person's agent publishes one per accepted command on `birthing_person.live`, keyed by the person's
id; every worker reads them all and hands each to the streams open on it (`labour_tracker.live`). It holds the
person's health data in clear (the topic keeps it an hour at most, see `messages.retention`), and only the service
writes or reads it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, Field

from labour_tracker.domain.limits import MAX_AGGREGATE_ID_LENGTH
from labour_tracker.messages.envelopes import Message

# The name of the server-sent event each shown event type becomes.
LiveName = Literal["labour", "contraction", "phase", "alert", "update", "completed"]
EVENTS_PER_MESSAGE = 64  # events one command may cause, at most: far above any command's


class LiveEvent(Message):
    """One event of the command, as a stream shows it."""

    version: int = Field(ge=1, description="The person's aggregate version after the event: the stream's event id.")
    type: str = Field(description="The event's type, as on `birthing_person.events`.")
    name: LiveName = Field(description="The server-sent event's name.")
    followers: bool = Field(description="Whether followers see it (false for the person's private notes).")
    data: dict[str, Any] = Field(
        description="What it shows: `contraction` (null once deleted), `update` (null once deleted), `phase`, "
        "`alert`, or `labour` (the labour's summary), each as the REST API writes it."
    )


class LiveMessage(Message):
    """What one accepted command changed, for the streams following the person."""

    birthing_person_id: str = Field(min_length=1, max_length=MAX_AGGREGATE_ID_LENGTH)
    first_version: int = Field(ge=1, description="The aggregate version of the command's first event.")
    version: int = Field(ge=1, description="The aggregate version after the command.")
    time: AwareDatetime
    events: tuple[LiveEvent, ...] = Field(
        (), max_length=EVENTS_PER_MESSAGE, description="The events streams show, in order; others are left out."
    )
    cut_off: tuple[str, ...] = Field(
        (), description="Subscribers the command stopped following the person: their streams end at once."
    )
    erased: bool = Field(False, description="The person deleted their account: every stream of theirs ends.")
