"""Values made once per object and found again by the object's identity."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class IdentityMemo(Generic[K, V]):
    """`make(part)`, kept for each part it was made for; past `limit` parts, the one kept longest is forgotten.

    Kept by identity: an aggregate's next state holds the same objects as the one before, and hashing a part (a
    dataclass's `__hash__`, in Python) costs about as much as making what is kept for it.
    """

    def __init__(self, make: Callable[[K], V], limit: int) -> None:
        self.make = make
        self.limit = limit
        # Ordered, to forget the oldest in O(1): a dict's first key is found past every slot deleted before it.
        self.made: OrderedDict[int, V] = OrderedDict()
        # The parts, held so that no other object takes their ids meanwhile. Not paired with what was made for them
        # in tuples: that would be as many more objects for each full pass of the garbage collector to walk.
        self.parts: dict[int, K] = {}

    def of(self, part: K) -> V:
        return self.all_of((part,))[0]

    def all_of(self, parts: Iterable[K]) -> list[V]:
        made, found = self.made, []
        for part in parts:
            value = made.get(id(part))
            if value is None:
                if len(made) >= self.limit:
                    oldest, _ = made.popitem(last=False)
                    del self.parts[oldest]
                value = made[id(part)] = self.make(part)
                self.parts[id(part)] = part
            found.append(value)
        return found
