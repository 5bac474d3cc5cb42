"""How often one phone number or email address hears from the service: a cap on messages to one destination an hour.

The same number or address can be on many subscriber accounts (anyone can make accounts carrying someone else's
number), so the caps of one account do not bound what one destination receives. This count is kept per
destination, across every account, under a keyed digest of it: the count's key and record hold no contact details.
A message over the cap is not sent; its notification is recorded as failed with the cap's code as its reason.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from labour_tracker.domain.errors import DomainError
from labour_tracker.domain.limits import Rate
from labour_tracker.domain.subscriber.model import ContactMethod

HOUR: Final = timedelta(hours=1)
# The cap's default (a setting). One labour sends each subscriber at most four messages per channel (begun,
# hospital, urgent attention, completed), hours apart; a confirmation code is at most 3 an hour per account. Twenty
# an hour lets one number follow five persons whose labours all peak in the same hour, and holds a number that
# many accounts ask codes for to a message every three minutes.
MESSAGES_PER_DESTINATION_PER_HOUR: Final = 20
MESSAGES_PER_DESTINATION_KEPT: Final = 1_000  # the largest cap the setting takes: the most times a record keeps
DESTINATION_CAP_REACHED: Final = "destination_cap_reached"


def messages_per_destination(maximum: int) -> Rate:
    """The cap on messages to one destination in any hour; 0 means no cap."""
    return Rate(DESTINATION_CAP_REACHED, maximum, HOUR, "messages an hour to one phone number or email address")


def destination_digest(secret: bytes, channel: ContactMethod, destination: str) -> str:
    """The key a destination is counted under: keyed with the server's secret, so neither the key nor the record
    gives the number or address away. Spellings of one destination (spaces or dashes in a number, capitals in an
    address) count as one."""
    if not secret:
        raise ValueError("destination digests need the server's secret")
    mac = hmac.new(secret, f"destination\x00{channel}\x00{canonical(channel, destination)}".encode(), hashlib.sha256)
    return mac.hexdigest()[:32]


def canonical(channel: ContactMethod, destination: str) -> str:
    """One spelling per destination: a number's digits (with a leading +), an address in lower case."""
    if channel is ContactMethod.SMS:
        digits = "".join(char for char in destination if char.isdigit())
        return f"+{digits}" if destination.strip().startswith("+") else digits
    return destination.strip().casefold()


@dataclass(frozen=True, slots=True)
class MessageCounted:
    """One message counted against its destination's cap: which notification, and when."""

    notification_id: str
    time: datetime


@dataclass(frozen=True, slots=True)
class DestinationLog:
    """The messages lately counted against one destination, oldest first: at most the cap's worth, within the
    hour. The ids make a message delivered again count once."""

    id: str  # the destination's keyed digest, never the destination
    counted: tuple[MessageCounted, ...] = ()


class Verdict(StrEnum):
    ADMITTED = "admitted"  # under the cap: counted now, and sent
    REPEATED = "repeated"  # counted before (a delivery that came again): sent as before, not counted twice
    WITHHELD = "withheld"  # over the cap: not sent, its notification recorded as failed


@dataclass(frozen=True, slots=True)
class Admission:
    verdict: Verdict
    log: DestinationLog  # the log to keep afterwards
    refusal: DomainError | None = None  # why it is withheld, with the seconds until the oldest leaves the hour

    @property
    def reason(self) -> str | None:
        """The failed notification's reason: the cap's code first, then the sentence."""
        return f"{self.refusal.code}: {self.refusal.description}" if self.refusal is not None else None


def admit(log: DestinationLog, notification_id: str, now: datetime, cap: Rate) -> Admission:
    """Whether one more message, for `notification_id`, may go to the destination of `log` at `now`."""
    if not cap.maximum:
        return Admission(Verdict.ADMITTED, log)  # no cap: nothing is counted
    if any(each.notification_id == notification_id for each in log.counted):
        return Admission(Verdict.REPEATED, log)
    recent = tuple(each for each in log.counted if each.time > now - cap.window)
    try:
        cap.check((each.time for each in recent), now)
    except DomainError as refusal:
        return Admission(Verdict.WITHHELD, log, refusal)  # not counted: the log stays as it is
    counted = (*recent, MessageCounted(notification_id, now))[-min(cap.maximum, MESSAGES_PER_DESTINATION_KEPT) :]
    return Admission(Verdict.ADMITTED, replace(log, counted=counted))
