"""The worker's live hub: the streams open on this worker, by person, and the latest live messages of each person.

Every worker's feed hands the hub every live message (`live.feed`); the hub gives each stream following the person
what its reader may see, and keeps the latest messages of each person for a reader who reconnects. Everything it
holds is bounded: messages per person, persons, streams per user and per worker, and frames waiting per stream (a
stream that falls behind is ended; its reader reconnects with the last id it saw).
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter, OrderedDict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from labour_tracker.domain.errors import DomainError, ErrorKind
from labour_tracker.messages.live import LiveMessage

MESSAGES_KEPT = 64  # latest live messages kept per person, for readers who reconnect
PERSONS_KEPT = 10_000  # persons whose latest messages are kept, the least lately changed let go first
FRAMES_WAITING = 256  # frames a stream may have waiting to be written before it is ended as too slow

TOO_MANY_STREAMS = DomainError(
    ErrorKind.TOO_MANY, "too_many_streams", "You have too many live streams open; close one and try again."
)
WORKER_FULL = DomainError(
    ErrorKind.TOO_MANY, "live_streams_full", "This server follows as many live streams as it can; try again shortly."
)


class LiveNotReady(Exception):
    """The worker's feed does not follow the live messages yet (503): try again shortly."""


LIVE_NOT_READY = LiveNotReady("Live streams are starting on this server; try again shortly.")


@dataclass(frozen=True)
class Frame:
    """One server-sent event: its id (the person's version), name and data."""

    id: int | None
    name: str
    data: Any


@dataclass(eq=False)
class Stream:
    """One open stream of one reader following one person: the person themself, or one of their followers."""

    person_id: str
    reader_id: str
    last_sent: int = 0  # the version of the latest frame sent or skipped
    ended: str | None = None  # why it ends: `cut_off`, `erased`, `too_slow`
    waiting: deque[Frame] = field(default_factory=deque)
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def is_person(self) -> bool:
        return self.reader_id == self.person_id

    def take(self, message: LiveMessage, limit: int = FRAMES_WAITING) -> None:
        """Queue what the reader may see of a message newer than what it has; end the stream if it is cut off."""
        if self.ended is not None:
            return
        if message.erased or self.reader_id in message.cut_off:
            self.end("erased" if message.erased else "cut_off")
            return
        if message.version <= self.last_sent:
            return
        frames = self.frames(message, after=self.last_sent)
        self.last_sent = message.version
        if len(self.waiting) + len(frames) > limit:
            self.end("too_slow")
            return
        self.waiting.extend(frames)
        if frames:
            self.ready.set()

    def frames(self, message: LiveMessage, after: int) -> list[Frame]:
        return list(frames_for(message, self.is_person, after=after))

    def sent_up_to(self, version: int) -> None:
        """The reader has everything up to `version` (a snapshot, or what it missed): drop what repeats it."""
        self.last_sent = max(self.last_sent, version)
        kept = [each for each in self.waiting if each.id is None or each.id > version]
        self.waiting.clear()
        self.waiting.extend(kept)

    def end(self, reason: str) -> None:
        self.ended = reason
        self.waiting.clear()
        self.ready.set()

    async def next(self, within: float) -> list[Frame] | None:
        """The frames waiting, once there are some; [] when none came within `within` s; None once it has ended."""
        if not self.waiting and self.ended is None:
            try:
                await asyncio.wait_for(self.ready.wait(), within)
            except TimeoutError:
                return []
        self.ready.clear()
        if self.ended is not None:
            return None
        frames = list(self.waiting)
        self.waiting.clear()
        return frames


def frames_for(message: LiveMessage, is_person: bool, after: int = 0) -> Iterable[Frame]:
    """The frames of a message a reader sees: all for the person, those followers see for a follower."""
    for event in message.events:
        if event.version > after and (is_person or event.followers):
            yield Frame(event.version, event.name, {"type": event.type, "version": event.version, **event.data})


class LiveHub:
    def __init__(
        self,
        *,
        streams_per_user: int,
        streams_per_worker: int,
        messages_kept: int = MESSAGES_KEPT,
        persons_kept: int = PERSONS_KEPT,
        frames_waiting: int = FRAMES_WAITING,
    ) -> None:
        self.streams_per_user, self.streams_per_worker = streams_per_user, streams_per_worker
        self.messages_kept, self.persons_kept, self.frames_waiting = messages_kept, persons_kept, frames_waiting
        self.streams: dict[str, set[Stream]] = {}  # by person id
        self.by_reader: Counter[str] = Counter()
        self.recent: OrderedDict[str, deque[LiveMessage]] = OrderedDict()  # by person id, least lately changed first
        self.open_streams = 0
        self.following = False  # whether the feed reads every partition: until then a stream would miss messages

    def open(self, person_id: str, reader_id: str) -> Stream:
        """A new stream of `reader_id` following `person_id`; raises too_many_streams or live_streams_full (429),
        or live_not_ready (503) while the feed does not follow the live messages."""
        if not self.following:
            raise LIVE_NOT_READY
        if self.by_reader[reader_id] >= self.streams_per_user:
            raise TOO_MANY_STREAMS
        if self.open_streams >= self.streams_per_worker:
            raise WORKER_FULL
        stream = Stream(person_id, reader_id)
        self.streams.setdefault(person_id, set()).add(stream)
        self.by_reader[reader_id] += 1
        self.open_streams += 1
        return stream

    def close(self, stream: Stream) -> None:
        following = self.streams.get(stream.person_id)
        if following is None or stream not in following:
            return
        following.discard(stream)
        if not following:
            del self.streams[stream.person_id]
        self.by_reader[stream.reader_id] -= 1
        if self.by_reader[stream.reader_id] <= 0:
            del self.by_reader[stream.reader_id]
        self.open_streams -= 1

    def end_all(self, reason: str) -> None:
        """End every stream (the worker is stopping: readers reconnect to another)."""
        for following in self.streams.values():
            for each in following:
                each.end(reason)

    def publish(self, message: LiveMessage) -> None:
        """Keep a live message and hand it to every stream following its person."""
        person_id = message.birthing_person_id
        kept = self.recent.get(person_id)
        if message.erased:
            self.recent.pop(person_id, None)  # nothing of an erased person stays
        elif kept is None or not kept or message.version > kept[-1].version:
            if kept is None:
                kept = self.recent[person_id] = deque(maxlen=self.messages_kept)
            kept.append(message)
            self.recent.move_to_end(person_id)
            while len(self.recent) > self.persons_kept:
                self.recent.popitem(last=False)
        for stream in list(self.streams.get(person_id, ())):
            stream.take(message, self.frames_waiting)

    def missed(self, person_id: str, after: int) -> list[LiveMessage] | None:
        """The messages after version `after`, when those kept cover every version since; None when they do not
        (the reader needs a snapshot)."""
        kept = list(self.recent.get(person_id, ()))
        if not kept or after > kept[-1].version:
            return None
        since = [each for each in kept if each.version > after]
        if not since:
            return []
        if since[0].first_version > after + 1:
            return None
        for before, each in itertools.pairwise(since):
            if each.first_version != before.version + 1:
                return None
        return since
