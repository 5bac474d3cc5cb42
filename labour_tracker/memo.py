"""What answers and records reuse from the last time they were made about the same aggregate."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class LastUsed(Generic[V]):
    """Values by key, for the `limit` keys used last."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.kept: OrderedDict[Hashable, V] = OrderedDict()

    def take(self, key: Hashable) -> V | None:
        return self.kept.pop(key, None)

    def keep(self, key: Hashable, value: V) -> None:
        self.kept[key] = value
        if len(self.kept) > self.limit:
            self.kept.popitem(last=False)


class SequenceJson(Generic[K]):
    """The JSON array of `make(part)` for each part of a sequence, made from the one made before under the same key.

    An aggregate's sequences change at their ends: a labour gains a contraction or changes its latest, a window of
    the latest outcomes gains one and lets go of its oldest. The JSON of the parts a sequence still shares with the
    one before is reused; only the others are made. Kept for the `limit` keys used last, as bytes, which the
    garbage collector does not walk.
    """

    def __init__(self, make: Callable[[K], bytes], limit: int) -> None:
        self.make = make
        self.made: LastUsed[tuple[tuple[K, ...], list[bytes]]] = LastUsed(limit)

    def of(self, key: Hashable, parts: tuple[K, ...]) -> bytes:
        kept = self.made.take(key)
        each = [] if kept is None else _still_shared(*kept, parts)
        each += [self.make(part) for part in parts[len(each) :]]
        self.made.keep(key, (parts, each))
        return b"[" + b",".join(each) + b"]"


def _still_shared(before: tuple[K, ...], made: list[bytes], parts: tuple[K, ...]) -> list[bytes]:
    """What was made for the first of `parts`: all or all but the latest of `before`, less its oldest if it let
    go of it."""
    for dropped in (0, 1):
        for length in (len(before) - dropped, len(before) - dropped - 1):
            # Compared in C, by identity first: the next state holds the same part objects as the one before.
            if length > 0 and parts[:length] == before[dropped : dropped + length]:
                return made[dropped : dropped + length]
    return []
