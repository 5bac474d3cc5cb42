"""A command message read: its envelope, its address and its payload; a message that is none of these is malformed."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import ValidationError

from labour_tracker.engine.decider import Decider
from labour_tracker.messages.envelopes import CommandEnvelope, ErrorBody

C = TypeVar("C")

MAX_DETAILS = 20  # problems listed in a refusal: a message can hold millions, and its outcome must fit in Kafka
MAX_DETAIL_TEXT = 100  # characters of each name or message in them (a field name is the sender's to choose)


class MalformedCommand(Exception):
    """The message is no command this aggregate takes: refused before the domain sees it, and parked."""

    def __init__(self, code: str, description: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(description)
        self.error = ErrorBody(kind="malformed", code=code, description=description, details=details)


def validation_details(error: ValidationError) -> list[dict[str, Any]]:
    problems = error.errors(include_url=False, include_context=False, include_input=False)[:MAX_DETAILS]
    return [
        {
            "loc": [part[:MAX_DETAIL_TEXT] if isinstance(part, str) else part for part in each["loc"]],
            "msg": each["msg"][:MAX_DETAIL_TEXT],
            "type": each["type"],
        }
        for each in problems
    ]


def read_envelope(value: bytes | None) -> CommandEnvelope:
    try:
        return CommandEnvelope.model_validate_json(value or b"")
    except ValidationError as error:
        raise MalformedCommand(
            "malformed_command", "The message is not a valid command envelope.", validation_details(error)
        ) from None


def check_addressed(key: str | None, envelope: CommandEnvelope, decider: Decider[Any, Any, Any]) -> None:
    """The message is keyed by its aggregate and names a command of that aggregate."""
    if key != envelope.aggregate_id:  # without a key, the table would be written on whichever partition it came
        raise MalformedCommand("key_mismatch", "The message key must be the command's aggregate_id.")
    if envelope.type not in decider.commands:
        raise MalformedCommand("unknown_command_type", f"Unknown command type {envelope.type!r} for {decider.name}.")


def read_command(envelope: CommandEnvelope, decider: Decider[Any, C, Any]) -> C:
    """The domain command the envelope carries, once its payload is valid."""
    kind = decider.commands[envelope.type]
    try:
        payload = kind.payload.model_validate(envelope.data)
    except ValidationError as error:
        raise MalformedCommand(
            "invalid_command", f"Invalid data for {envelope.type}.", validation_details(error)
        ) from None
    return kind.command(envelope.aggregate_id, payload)
