"""The catalogue of command types an aggregate's topic accepts: each declared once, with its domain class, wire type,
payload schema, REST request body and summary."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

from labour_tracker.messages.envelopes import COMMAND_ID_PATTERN

C = TypeVar("C")


class WithCommandId(BaseModel):
    """A REST request body's optional command id, after the payload's fields."""

    command_id: str | None = Field(None, pattern=COMMAND_ID_PATTERN, description="Alternative to Idempotency-Key.")


@dataclass(frozen=True)
class CommandType(Generic[C]):
    domain: type[C]  # the domain command; its TYPE is the command's type on the wire
    payload: type[BaseModel]  # the envelope's `data`
    summary: str
    request: type[BaseModel] | None = None  # the REST body that sends it, when a route takes one
    # (aggregate id, validated payload) -> the domain command; by default the payload's fields are the command's
    build: Callable[[str, Any], C] | None = None
    # Sent by the aggregate's own user (counted by the cap on commands a minute), not by the service on their behalf.
    by_owner: bool = True

    @property
    def name(self) -> str:
        name: str = self.domain.TYPE  # type: ignore[attr-defined]
        return name

    def command(self, aggregate_id: str, payload: Any) -> C:
        if self.build is not None:
            return self.build(aggregate_id, payload)
        return self.domain(**dict(payload))


def catalogue(*types: CommandType[Any]) -> Mapping[str, CommandType[Any]]:
    return {each.name: each for each in types}
