"""How much one person may keep in the service: every list a user can grow has a bound, every note a size.

The bounds come from real labours: the longest last about two days, and contractions rarely come more often than
every two minutes, so a labour of 1,000 contractions is already beyond any real one. Together they keep one
person's record (the table's changelog message) under RECORD_BUDGET, well under Kafka's 1 MiB message limit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from labour_tracker.domain.errors import DomainError, ErrorKind

MAX_AGGREGATE_ID_LENGTH = 255  # a user id becomes an aggregate id and a Kafka key


@dataclass(frozen=True, slots=True)
class Limit:
    """A bound users meet as a refusal with a stable code that names it."""

    code: str
    maximum: int
    counts: str  # what is counted, as a person would say it
    kind: ErrorKind = ErrorKind.INVALID

    def refusal(self) -> DomainError:
        return DomainError(self.kind, self.code, f"The limit is {self.maximum:,} {self.counts}.")

    def check(self, count: int) -> None:
        """Refuse when `count` would pass the limit."""
        if count > self.maximum:
            raise self.refusal()


@dataclass(frozen=True, slots=True)
class Rate:
    """A bound on how often something may happen within a sliding window; 0 means no bound."""

    code: str
    maximum: int
    window: timedelta
    counts: str  # what is counted, as a person would say it

    def check(self, times: Iterable[datetime], now: datetime) -> None:
        """Refuse one more at `now` when `times` (of those before) already reach the bound within the window."""
        if not self.maximum:
            return
        recent = sorted(each for each in times if each > now - self.window)
        if len(recent) >= self.maximum:
            wait = recent[len(recent) - self.maximum] + self.window - now
            raise DomainError(
                ErrorKind.TOO_MANY,
                self.code,
                f"The limit is {self.maximum:,} {self.counts}; try again later.",
                retry_after=max(1, math.ceil(wait.total_seconds())),
            )


CONTRACTIONS_PER_LABOUR = Limit("contraction_limit_reached", 1_000, "contractions in one labour")
NOTE_BYTES = Limit("note_too_long", 2_000, "bytes of text (UTF-8) in one note", ErrorKind.UNPROCESSABLE)
NOTES_BYTES_PER_LABOUR = Limit("notes_limit_reached", 32 * 1024, "bytes of notes (UTF-8) in one labour")
SUBSCRIBERS_PER_PERSON = Limit("subscriber_limit_reached", 50, "subscribers of one birthing person")
SUBSCRIPTIONS_PER_SUBSCRIBER = Limit("subscription_limit_reached", 50, "birthing persons one subscriber follows")
BLOCKED_PER_PERSON = Limit("blocked_limit_reached", 50, "subscribers one birthing person has blocked")
UPDATES_PER_LABOUR = Limit("update_limit_reached", 100, "updates in one labour")
# Also a note in bytes (`check_note`), and counted with the labour's notes (NOTES_BYTES_PER_LABOUR).
UPDATE_MESSAGE_LENGTH = Limit(
    "update_message_too_long", 1_000, "characters in one update's message", ErrorKind.UNPROCESSABLE
)
# Waiting requests count against SUBSCRIBERS_PER_PERSON as well: followers and requests together stay within it.
FOLLOW_REQUESTS_PER_PERSON = Limit(
    "follow_request_limit_reached", 20, "follow requests waiting for one birthing person's answer"
)

LIMITS = (
    CONTRACTIONS_PER_LABOUR,
    NOTE_BYTES,
    NOTES_BYTES_PER_LABOUR,
    SUBSCRIBERS_PER_PERSON,
    SUBSCRIPTIONS_PER_SUBSCRIBER,
    BLOCKED_PER_PERSON,
    UPDATES_PER_LABOUR,
    UPDATE_MESSAGE_LENGTH,
    FOLLOW_REQUESTS_PER_PERSON,
)

DELETED_LABOURS_KEPT = 10  # ids of deleted labours a record keeps until the mirror has seen them, and after
PAST_LABOURS_KEPT = 10  # completed labours summarised in a person's record; all of them are in the mirror
LABOURS_BEGUN_KEPT = 24  # times of the latest labours begun, which the labours-per-day cap counts
LABOURS_PER_DAY = 3  # the cap's default (a setting): a false start and the real one, with one to spare
DAY = timedelta(days=1)
MINUTE = timedelta(minutes=1)
# Announcements text every subscriber: one at most in this long, by the service's clock, so family are not spammed.
ANNOUNCEMENT_COOLDOWN = timedelta(minutes=10)
# Bytes of a person's encoded record with every limit reached and every id and name as long as it may be, in
# four-byte characters.
RECORD_BUDGET = 576 * 1024

# Control characters other than tab and line breaks are no text a person writes; refused, they also keep a note's
# JSON at most twice its UTF-8 size.
_ALLOWED_CONTROLS = frozenset("\t\n\r")
_CONTROLS = frozenset(map(chr, (*range(0x20), *range(0x7F, 0xA0)))) - _ALLOWED_CONTROLS

NOT_TEXT = DomainError(ErrorKind.UNPROCESSABLE, "note_not_text", "Notes may hold text, tabs and line breaks only.")


def note_bytes(notes: str | None) -> int:
    """The size a note counts for against the limits: its UTF-8 bytes."""
    return 0 if notes is None else len(notes.encode("utf-8", errors="surrogatepass"))


def check_note(notes: str | None) -> int:
    """Refuse a note that is too long, holds control characters or is no text (a lone surrogate); returns its
    size."""
    if notes is None:
        return 0
    try:
        size = len(notes.encode("utf-8"))
    except UnicodeEncodeError:
        raise NOT_TEXT from None
    NOTE_BYTES.check(size)
    if not _CONTROLS.isdisjoint(notes):
        raise NOT_TEXT
    return size
