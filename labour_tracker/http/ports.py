"""What the API needs of the worker it runs in, as two small interfaces the worker sets on the web app: send a
command and get its reply; read an aggregate from the worker that owns it; hand a message to a notification's owner."""

from __future__ import annotations

from typing import Any, Protocol

from aiohttp import web
from yarl import URL

from labour_tracker.messages.envelopes import CommandEnvelope
from labour_tracker.messages.reply import Reply


class NoReplyInTime(Exception):
    """The command was sent and no reply came in time: it may still be applied."""


class NotSent(Exception):
    """The command could not be sent to Kafka: nothing happened."""


class NoOwner(Exception):
    """No worker owns the key yet: the worker is joining the cluster."""


class CommandBus(Protocol):
    def accepting(self) -> bool:
        """Whether commands can be sent: the worker's topics are declared."""
        ...

    async def send(self, aggregate: str, envelope: CommandEnvelope, within: float) -> Reply[Any]:
        """The reply of the aggregate's agent, its state typed as the aggregate's; raises NoReplyInTime, NotSent."""
        ...


class AggregateReader(Protocol):
    def serving(self) -> bool:
        """Whether commands and reads will be answered: partitions assigned and tables recovered."""
        ...

    def owner(self, aggregate: str, key: str) -> URL | None:
        """The web URL of the worker owning the key, None when it is this one; raises NoOwner."""
        ...

    def state(self, aggregate: str, key: str) -> Any | None:
        """The aggregate's state as this worker holds it; None when it does not exist."""
        ...

    def version(self, aggregate: str, key: str) -> int:
        """The aggregate's version as this worker holds it; 0 when it does not exist."""
        ...


class NotificationSender(Protocol):
    """Messages for the agent owning a notification's record, handed over once the broker has them; each raises
    NotSent when it cannot."""

    async def report(self, notification_id: str, value: bytes) -> None:
        """A provider's report on a sent notification."""
        ...

    async def resend(self, notification_id: str, value: bytes) -> None:
        """The person's request to resend a failed notification."""
        ...


COMMAND_BUS = web.AppKey("command_bus", CommandBus)
AGGREGATES = web.AppKey("aggregates", AggregateReader)
SENDER = web.AppKey("sender", NotificationSender)
