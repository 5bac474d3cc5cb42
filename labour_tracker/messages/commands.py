"""The catalogue of command types an aggregate's topic accepts: payload schema, and how it becomes a domain command."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

C = TypeVar("C")
P = TypeVar("P", bound=BaseModel)


@dataclass(frozen=True)
class CommandType(Generic[C]):
    name: str
    payload: type[BaseModel]
    build: Callable[[str, Any], C]  # (aggregate id, validated payload) -> domain command
    summary: str


def command_type(
    name: str, payload: type[P], build: Callable[[str, P], C] | None = None, *, command: type[C], summary: str
) -> CommandType[C]:
    """A command type whose payload fields are the domain command's fields, unless `build` says otherwise."""
    return CommandType(
        name=name,
        payload=payload,
        build=build or (lambda _aggregate_id, data: command(**dict(data))),
        summary=summary,
    )


def catalogue(*types: CommandType[C]) -> Mapping[str, CommandType[C]]:
    return {each.name: each for each in types}
