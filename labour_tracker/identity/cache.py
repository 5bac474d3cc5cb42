"""The cache of tokens already verified, so a token's signature is checked once while it stays acceptable."""

from __future__ import annotations

import hashlib
from collections import OrderedDict

from labour_tracker.domain.user import User

__all__ = ["VerifiedTokens"]


class VerifiedTokens:
    """Users of tokens already verified, until each stops being acceptable; least recently used go first."""

    def __init__(self, capacity: int) -> None:
        if capacity < 0:
            raise ValueError("cache capacity must not be negative")
        self._capacity = capacity
        self._entries: OrderedDict[bytes, tuple[User, float]] = OrderedDict()

    @staticmethod
    def _digest(token: str) -> bytes:
        # A digest is smaller than the token and keeps bearer credentials out of memory dumps.
        return hashlib.sha256(token.encode()).digest()

    def get(self, token: str, now: float) -> User | None:
        digest = self._digest(token)
        entry = self._entries.get(digest)
        if entry is None:
            return None
        user, until = entry
        if now > until:
            del self._entries[digest]
            return None
        self._entries.move_to_end(digest)
        return user

    def put(self, token: str, user: User, until: float) -> None:
        if self._capacity == 0:
            return
        digest = self._digest(token)
        self._entries[digest] = (user, until)
        self._entries.move_to_end(digest)
        while len(self._entries) > self._capacity:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
