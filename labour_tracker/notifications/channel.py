"""What every channel offers the sender, and the two ways a send can fail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from labour_tracker.domain.notification import Names
from labour_tracker.domain.subscriber.model import ContactMethod


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One notification ready to go: where, to whom, about what."""

    notification_id: str
    channel: ContactMethod
    destination: str
    event_type: str
    event_time: datetime
    names: Names
    subscriber_full_name: str
    code: str | None = None  # a confirmation code: the message carries it instead of news of a labour
    note: str | None = None  # the person's completion note or announcement's message; never logged
    moment: str | None = None  # a quick update's moment, told in the service's words


class SendFailed(Exception):
    """The provider did not take the message; `reason` is safe to store and log (no number, no address)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Transient(SendFailed):
    """Worth trying again later: rate limited, the provider's fault, a timeout, a dropped connection."""


class Permanent(SendFailed):
    """Trying again would fail the same way: an invalid number, a refused login."""


class DeliveryUnknown(SendFailed):
    """A send was interrupted and the channel cannot tell whether the provider took it."""


class Channel(Protocol):
    async def send(self, message: Outgoing, *, now: datetime) -> str:
        """Hand the message to the provider; returns the provider's id for it. Raises Transient or Permanent."""
        ...

    async def delivered_before(self, message: Outgoing) -> str | None:
        """After an interrupted send: the provider id if it was delivered, None if it surely was not.

        Raises DeliveryUnknown when the channel cannot tell, or Transient when it cannot ask just now.
        """
        ...

    async def settled(self, notification_id: str) -> None:
        """The outcome is recorded: forget whatever was kept to answer `delivered_before`."""
        ...

    async def close(self) -> None: ...
