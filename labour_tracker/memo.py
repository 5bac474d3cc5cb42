"""What answers and records reuse from the last time they were made about the same aggregate."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class LastUsed(Generic[V]):
    """Values by key, for the keys used last: at most `limit` of them, and at most `budget` in weight together (the
    weight of a value is what its keeper says it costs, bytes say), so a few large values cannot hold the memory of
    many small ones."""

    def __init__(self, limit: int, budget: int | None = None) -> None:
        self.limit = limit
        self.budget = budget
        self.kept: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self.weight = 0

    def get(self, key: Hashable) -> V | None:
        """The value kept under `key`, now the one used last."""
        kept = self.kept.get(key)
        if kept is None:
            return None
        self.kept.move_to_end(key)
        return kept[0]

    def clear(self) -> None:
        self.kept.clear()
        self.weight = 0

    def take(self, key: Hashable) -> V | None:
        kept = self.kept.pop(key, None)
        if kept is None:
            return None
        self.weight -= kept[1]
        return kept[0]

    def keep(self, key: Hashable, value: V, weight: int = 1) -> None:
        self.take(key)
        self.kept[key] = (value, weight)
        self.weight += weight
        while len(self.kept) > self.limit or (self.budget is not None and self.weight > self.budget):
            _, (_, dropped) = self.kept.popitem(last=False)
            self.weight -= dropped


class SequenceJson(Generic[K]):
    """The JSON array of `make(part)` for each part of a sequence, made from the one made before under the same key.

    An aggregate's sequences change at their ends: a labour gains a contraction or changes its latest, a window of
    the latest outcomes gains one and lets go of its oldest. The JSON of the parts a sequence still shares with the
    one before is reused; only the others are made. Kept for the `limit` keys used last, at most `budget` bytes of
    JSON in all, as bytes, which the garbage collector does not walk.
    """

    def __init__(self, make: Callable[[K], bytes], limit: int, budget: int) -> None:
        self.make = make
        self.made: LastUsed[tuple[tuple[K, ...], list[bytes]]] = LastUsed(limit, budget)

    def of(self, key: Hashable, parts: tuple[K, ...]) -> bytes:
        kept = self.made.take(key)
        each = [] if kept is None else _still_shared(*kept, parts)
        each += [self.make(part) for part in parts[len(each) :]]
        made = b"[" + b",".join(each) + b"]"
        self.made.keep(key, (parts, each), len(made))
        return made

    def forget(self, matching: Callable[[Hashable], bool]) -> None:
        """Let go of what was made under the keys `matching` picks."""
        for key in [each for each in self.made.kept if matching(each)]:
            self.made.take(key)


def _still_shared(before: tuple[K, ...], made: list[bytes], parts: tuple[K, ...]) -> list[bytes]:
    """What was made for the first of `parts`: all or all but the latest of `before`, less its oldest if it let
    go of it."""
    for dropped in (0, 1):
        for length in (len(before) - dropped, len(before) - dropped - 1):
            # Compared in C, by identity first: the next state holds the same part objects as the one before.
            if length > 0 and parts[:length] == before[dropped : dropped + length]:
                return made[dropped : dropped + length]
    return []
