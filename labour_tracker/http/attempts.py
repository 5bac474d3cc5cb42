"""A limit on failed attempts per key (a caller, an address) in a sliding window, to slow down guessing secrets.

Only failures count. Against a key named `under_way`, an attempt counts from the moment it starts and is withdrawn
if it does not fail, so a burst of attempts sent at once under that key cannot all slip past the limit before the
first of them has failed; against the other keys it counts once it has failed, so many people sharing one such key
(an address) can try at once. Memory is bounded: a key leaves once its last attempt has left the window, and past
`max_keys` the key that has gone longest without an attempt is forgotten first.
"""

from __future__ import annotations

import bisect
import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Collection, Hashable, Iterator
from contextlib import contextmanager

MAX_TRACKED_KEYS = 10_000  # at most `limit` times each: a few megabytes at worst


class TooManyAttempts(Exception):
    """A key is at its limit; `retry_after` is the whole seconds until it may try again."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed attempts; retry after {retry_after} s")
        self.retry_after = retry_after


class FailedAttempts:
    """At most `limit` failed attempts per key within any `window` seconds, counted on one worker."""

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        max_keys: int = MAX_TRACKED_KEYS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1 or window <= 0 or max_keys < 1:
            raise ValueError("limit and max_keys must be at least 1, and window positive")
        self.limit, self.window, self.max_keys = limit, window, max_keys
        self._clock = clock
        # Each key's failure times (and attempts under way), oldest first; keys by their latest one, oldest first.
        self._times: OrderedDict[Hashable, deque[float]] = OrderedDict()

    def __len__(self) -> int:
        """The keys tracked now."""
        return len(self._times)

    def retry_after(self, *keys: Hashable) -> int | None:
        """Whole seconds until every one of `keys` may try again, or None when all of them may now."""
        return self._retry_after(keys, self._clock())

    @contextmanager
    def attempt(
        self,
        *keys: Hashable,
        failed: Callable[[BaseException], bool],
        under_way: Collection[Hashable] = (),
    ) -> Iterator[None]:
        """The body of the `with` is one attempt by `keys`: it counts against each of them when the body raises an
        exception that `failed` accepts, and against those of them in `under_way` already while it runs. Raises
        `TooManyAttempts`, before the body runs, when any of `keys` is at its limit."""
        started = self._clock()
        wait = self._retry_after(keys, started)
        if wait is not None:
            raise TooManyAttempts(wait)
        held = [key for key in keys if key in under_way]
        self._record(held, started)
        try:
            yield
        except BaseException as error:
            if not failed(error):
                self._withdraw(held, started)
                raise
            self._record([key for key in keys if key not in under_way], self._clock())
            raise
        self._withdraw(held, started)

    def _record(self, keys: list[Hashable], at: float) -> None:
        for key in keys:
            times = self._times.get(key)
            if times is None:
                times = self._times[key] = deque()
            bisect.insort(times, at)  # a failure recorded at its end may come after a later attempt began
            if len(times) > self.limit:
                times.popleft()  # only the latest `limit` decide how long the key waits
            self._times.move_to_end(key)
        self._evict(at)

    def _withdraw(self, keys: list[Hashable], at: float) -> None:
        for key in keys:
            times = self._times.get(key)
            if times is None:
                continue  # forgotten meanwhile
            if at in times:
                times.remove(at)  # or another attempt of that same instant: they are alike
            if not times:
                del self._times[key]

    def _retry_after(self, keys: tuple[Hashable, ...], now: float) -> int | None:
        waits = [self._wait(key, now) for key in keys]
        longest = max((wait for wait in waits if wait is not None), default=None)
        return None if longest is None else max(1, math.ceil(longest))

    def _wait(self, key: Hashable, now: float) -> float | None:
        """Seconds until `key` is below its limit again, or None when it is below now; forgets times gone by."""
        times = self._times.get(key)
        if times is None:
            return None
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._times[key]
            return None
        if len(times) < self.limit:
            return None
        return times[-self.limit] + self.window - now

    def _evict(self, now: float) -> None:
        # Oldest latest-time first: a front key whose newest time has left the window holds nothing any more.
        while self._times:
            key, times = next(iter(self._times.items()))
            if times and times[-1] > now - self.window:
                break
            del self._times[key]
        while len(self._times) > self.max_keys:
            self._times.popitem(last=False)
