"""Envelopes every message on our topics is wrapped in, as JSON."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from labour_tracker.domain.limits import MAX_AGGREGATE_ID_LENGTH

COMMAND_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"
RECENT_COMMANDS = 32  # outcomes kept per aggregate: how far back a retry is still recognised
RECORD_TOO_LARGE = "record_too_large"  # the code of a command refused because a Kafka message could not hold it


class Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def holds_nul(value: Any) -> bool:
    """Whether any text in the value (strings, and the keys and items of dicts and lists within) holds NUL."""
    pending = [value]
    while pending:
        each = pending.pop()
        if isinstance(each, str):
            if "\x00" in each:
                return True
        elif isinstance(each, dict):
            pending += [*each.keys(), *each.values()]
        elif isinstance(each, list | tuple | frozenset | set):
            pending += each
    return False


class Inbound(Message):
    """A message we read from others (a command, its payload, an event or a notifier's message): none of its text
    may hold a NUL character, which PostgreSQL cannot store (the mirror would refuse its row) nor a person read."""

    @model_validator(mode="after")
    def _text_without_nul(self) -> Inbound:
        if holds_nul(list(self.__dict__.values())):
            raise ValueError("text must not contain NUL characters")
        return self


class CommandEnvelope(Inbound):
    """A request to change one aggregate, keyed on its topic by `aggregate_id`."""

    id: str = Field(pattern=COMMAND_ID_PATTERN, description="Client-chosen command id; a retry reuses it.")
    type: str = Field(max_length=128, description="Command type, e.g. `labour.begin`.")
    aggregate_id: str = Field(
        min_length=1, max_length=MAX_AGGREGATE_ID_LENGTH, description="Id of the aggregate; also the message key."
    )
    data: dict[str, Any] = Field(default_factory=dict, description="The command's payload; its schema per type.")
    actor: str | None = Field(
        None,
        min_length=1,
        max_length=MAX_AGGREGATE_ID_LENGTH,
        description="Who sent it, when someone other than the aggregate's own user acts for them (a birth partner "
        "recording a contraction for the birthing person). Absent: the aggregate itself. The aggregate decides "
        "whether that actor may send it (403 `not_birth_partner` otherwise).",
    )

    def digest(self) -> str:
        """A short fingerprint of the payload and its actor, the same for the same data however its keys are
        ordered: a command id reused by another actor is another command, never answered with the first's outcome."""
        fingerprinted: Any = self.data if self.actor is None else {"actor": self.actor, "data": self.data}
        canonical = json.dumps(fingerprinted, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()[:12]).decode()


class EventEnvelope(Inbound):
    """Something that happened to one aggregate, keyed on its topic by `aggregate_id`."""

    id: str = Field(description="Event id, derived from the causing command: redelivery keeps it.")
    type: str = Field(description="Event type, e.g. `labour.begun`.")
    version: int = Field(ge=1, description="The aggregate's version after this event: 1, 2, … without gaps.")
    aggregate_id: str
    time: AwareDatetime = Field(description="When the event was recorded (UTC).")
    causation_id: str = Field(description="Id of the command that caused it.")
    data: dict[str, Any] = Field(description="What happened; empty when `sealed` holds it.")
    sealed: str | None = Field(
        None,
        max_length=4 * 1024 * 1024,
        description="The data of a personal event, encrypted under its aggregate's own key (AES-256-GCM, base64url "
        "of nonce and ciphertext): erasing the aggregate deletes the key, and the data can no longer be read.",
    )


class ErrorBody(Message):
    """Why a command was refused: a stable code, a sentence for people, and its kind (maps to an HTTP status)."""

    kind: str = Field(description="invalid, forbidden, not_found, conflict, unprocessable, malformed or internal.")
    code: str = Field(description="Stable snake_case code.")
    description: str
    details: list[dict[str, Any]] | None = None
    retry_after: int | None = Field(None, description="Whole seconds until it may be sent again (`too_many`).")


class Outcome(Message):
    """What became of a command: accepted with the events it caused, or rejected with the error."""

    command_id: str
    command_type: str | None
    aggregate_id: str | None
    status: Literal["accepted", "rejected"]
    version: int | None = Field(description="The aggregate's version after the command (accepted only).")
    event_ids: tuple[str, ...] = ()
    error: ErrorBody | None = None
    time: datetime
    digest: str | None = Field(
        None,
        description="Fingerprint of the command's payload, and of its actor when one is named (96 bits of SHA-256, "
        "base64url): the same command id with another payload, or from another actor, is refused.",
    )


MAX_PARKED_KEY = 1_024  # characters of a parked message's key that its dead letter keeps: it must fit in a message


class DeadLetter(Message):
    """A message an agent could not take, parked with the reason so that nothing is silently lost. It points at the
    message rather than copying it: what people wrote stays where its retention and erasure apply."""

    topic: str
    partition: int
    offset: int
    key: str | None
    size: int = Field(description="Bytes of the message's value (0 for a tombstone).")
    sha256: str = Field(description="SHA-256 of the value, hex: to tell the message at that place is this one.")
    reason: str
    time: AwareDatetime
    truncated: bool = Field(
        False, description=f"The key was longer than {MAX_PARKED_KEY} characters and is cut to that length."
    )
