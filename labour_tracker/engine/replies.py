"""Answer a command's caller on the topic it named, as Faust's request/reply does, when a reply can go there.

The caller names the topic in the `Faust-Ag-ReplyTo` header and its id for the answer in `Faust-Ag-CorrelationId`
(Faust's `agent.ask` sets both, and so may any Kafka client). The headers come from outside, so they are checked
before anything is sent: a topic that does not exist would hold the agent, and every command behind it, in the
producer's wait for the topic's metadata (20 minutes by default); one of Labour Tracker's own topics would be fed a
message it cannot read. A reply that cannot go is not sent (the agent parks the command with the reason); its
outcome stands, and is on the outcomes topic as always.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

import faust
from aiokafka.admin import AIOKafkaAdminClient
from faust.agents.models import ReqRepResponse

from labour_tracker.app import LabourTrackerApp
from labour_tracker.messages.reply import Reply
from labour_tracker.settings import KafkaConnection

REPLY_TO, CORRELATION_ID = "Faust-Ag-ReplyTo", "Faust-Ag-CorrelationId"
TOPIC_NAME = re.compile(r"[A-Za-z0-9._-]{1,249}")  # what Kafka accepts as a topic name


class Unsendable(Exception):
    """The reply cannot go where the headers ask; the text says why."""


def reply_address(headers: Mapping[str, bytes] | None, own_topics: Collection[str]) -> tuple[str, str | None] | None:
    """(topic, correlation id) the headers ask the reply on; None if they ask for none."""
    reply_to = (headers or {}).get(REPLY_TO)
    if not reply_to:
        return None
    correlation = (headers or {}).get(CORRELATION_ID)
    try:
        topic = bytes(reply_to).decode()
        correlation_id = bytes(correlation).decode() if correlation is not None else None
    except (UnicodeDecodeError, TypeError):
        raise Unsendable(f"the {REPLY_TO} or {CORRELATION_ID} header is not UTF-8 text") from None
    if not TOPIC_NAME.fullmatch(topic) or topic in (".", ".."):
        raise Unsendable(f"{REPLY_TO} is not a valid topic name")
    if topic in own_topics:
        raise Unsendable(f"{REPLY_TO} names {topic}, one of Labour Tracker's own topics")
    return topic, correlation_id


class TopicDirectory:
    """Whether a topic exists: the broker is asked for any name not seen before; a topic seen stays known."""

    def __init__(self, kafka: KafkaConnection) -> None:
        self.kafka = kafka
        self.admin: AIOKafkaAdminClient | None = None
        self.known: set[str] = set()

    async def exists(self, topic: str) -> bool:
        if topic not in self.known:
            self.known = set(await self._list_topics())
        return topic in self.known

    async def _list_topics(self) -> list[str]:
        if self.admin is None:  # opened on first use, again after close()
            admin = AIOKafkaAdminClient(**self.kafka.client_options(), request_timeout_ms=5000)
            await admin.start()
            self.admin = admin
        names: list[str] = await self.admin.list_topics()
        return names

    async def close(self) -> None:
        if self.admin is not None:
            admin, self.admin = self.admin, None
            await admin.close()


class Replies:
    """Shared by the command agents of one worker."""

    def __init__(self, app: LabourTrackerApp, own_topics: Collection[str], directory: TopicDirectory) -> None:
        self.app = app
        self.own_topics = own_topics
        self.directory = directory

    async def answer(self, event: faust.EventT[Any], reply: Reply[Any]) -> str | None:
        """Send the reply where the command's headers ask, if they ask and it can go there; else say why not."""
        try:
            address = reply_address(event.headers, self.own_topics)
            if address is None:
                return None
            topic, correlation_id = address
            if self.app.answer_here(topic, correlation_id, reply):
                return None  # asked in this process: handed over as it is, with no round trip through Kafka
            if not await self.directory.exists(topic):
                raise Unsendable(f"{REPLY_TO} names {topic}, which does not exist")
            data = reply.as_data()
            response = ReqRepResponse(key=reply.outcome.aggregate_id, value=data, correlation_id=correlation_id)
            await self.app.send(topic, key=None, value=response)
        except Unsendable as unsendable:
            return f"reply not sent: {unsendable}"
        except Exception as error:  # a reply that failed must not stop the agent: the outcome is published anyway
            return f"reply not sent: {type(error).__name__}"
        return None
