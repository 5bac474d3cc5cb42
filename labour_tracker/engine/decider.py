"""What the command handler needs of one aggregate's domain: its commands, and the decide/evolve pair."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

from labour_tracker.messages.commands import CommandType

S = TypeVar("S")
C = TypeVar("C")
E = TypeVar("E")


@dataclass(frozen=True)
class Decider(Generic[S, C, E]):
    """An aggregate's domain: `decide` turns a command into events (or refuses it), `evolve` applies an event."""

    name: str
    commands: Mapping[str, CommandType[C]]
    decide: Callable[[S | None, C, datetime, str], Sequence[E]]  # (state, command, now, command id)
    evolve: Callable[[S | None, E], S | None]  # None: the aggregate is erased
    personal: frozenset[str] = field(default_factory=frozenset)  # event types sealed under the aggregate's key
    # (state, command, now, command id, actor): a command sent by someone on the aggregate's behalf, whom the domain
    # judges; None: the aggregate takes commands from itself only, and refuses any other actor.
    decide_as: Callable[[S | None, C, datetime, str, str], Sequence[E]] | None = None
