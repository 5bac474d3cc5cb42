"""The worker's side of the API's ports: commands asked of the aggregates' agents, states read from their tables."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from aiokafka.errors import KafkaError
from aiokafka.partitioner import DefaultPartitioner
from yarl import URL

from labour_tracker.app import LabourTrackerApp
from labour_tracker.http.ports import NoOwner, NoReplyInTime, NotSent
from labour_tracker.messages.codec import from_data
from labour_tracker.messages.envelopes import CommandEnvelope, Outcome
from labour_tracker.messages.reply import Reply

LATE_REPLIES: set[asyncio.Future[Any]] = set()  # still awaited after their caller gave up: held, or they are collected


def _forget_late_reply(asked: asyncio.Future[Any]) -> None:
    """A reply that came after its caller gave up has no one to go to; retrieve it so none is logged."""
    LATE_REPLIES.discard(asked)
    if not asked.cancelled():
        asked.exception()


class AgentCommandBus:
    """Commands asked of each aggregate's agent (`agents`, by aggregate name), replies typed as its state."""

    def __init__(self, app: LabourTrackerApp, agents: Mapping[str, Any], states: Mapping[str, type[Any]]) -> None:
        self.app = app
        self.agents = agents
        self.states = states

    def accepting(self) -> bool:
        return self.app.topics_declared.is_set()

    async def send(self, aggregate: str, envelope: CommandEnvelope, within: float) -> Reply[Any]:
        agent = self.agents[aggregate]
        asking = asyncio.ensure_future(agent.ask(value=envelope.model_dump_json().encode(), key=envelope.aggregate_id))
        try:
            # Shielded: a cancelled wait would cancel Faust's reply promise, and the late reply arriving for it would
            # then crash Faust's reply consumer, leaving every later command of this worker without an answer.
            reply = await asyncio.wait_for(asyncio.shield(asking), within)
        except TimeoutError:
            LATE_REPLIES.add(asking)
            asking.add_done_callback(_forget_late_reply)
            raise NoReplyInTime from None
        except KafkaError:
            raise NotSent from None
        if not isinstance(reply, Reply):  # answered by a worker elsewhere, through Kafka, as JSON data
            reply = Reply(Outcome.model_validate(reply["outcome"]), reply["state"])
        state_type = self.states[aggregate]
        if reply.state is None or isinstance(reply.state, state_type):
            return reply
        return Reply(reply.outcome, from_data(state_type, reply.state))


class TableReader:
    """Aggregates read from each one's table (`tables`, by aggregate name) on the worker owning its key."""

    def __init__(self, app: LabourTrackerApp, tables: Mapping[str, Any]) -> None:
        self.app = app
        self.tables = tables

    def serving(self) -> bool:
        """Topics declared, partitions assigned, tables recovered: commands and reads will be answered."""
        app: Any = self.app  # Faust's types name neither the recovery nor the distribution
        return bool(
            app.topics_declared.is_set()
            and not app.rebalancing
            and app.tables.recovery.completed.is_set()
            and app.assignor.changelog_distribution
        )

    def owner(self, aggregate: str, key: str) -> URL | None:
        """The worker whose active partitions hold `key` (Kafka's default partitioner picks it); None for this one."""
        table = self.tables[aggregate]
        partitions = table.changelog_topic.partitions
        partition = DefaultPartitioner()(key.encode(), list(range(partitions)), None)
        changelog = table.changelog_topic.get_topic_name()
        for url, topics in self.app.router.table_metadata(table.name).items():
            if partition in topics.get(changelog, ()):
                owner, here = URL(url), self.app.conf.canonical_url
                return None if (owner.host, owner.port) == (here.host, here.port) else owner
        raise NoOwner

    def state(self, aggregate: str, key: str) -> Any | None:
        record = self.tables[aggregate].get(key)
        return record.state if record is not None else None

    def version(self, aggregate: str, key: str) -> int:
        record = self.tables[aggregate].get(key)
        return int(record.version) if record is not None else 0


class SenderTopics:
    """Provider reports and resend requests sent to the topics of the agent that owns the notifications' records,
    keyed by notification id."""

    def __init__(self, reports: Any, resends: Any) -> None:
        self.reports = reports
        self.resends = resends

    async def report(self, notification_id: str, value: bytes) -> None:
        await _sent(self.reports, notification_id, value)

    async def resend(self, notification_id: str, value: bytes) -> None:
        await _sent(self.resends, notification_id, value)


async def _sent(topic: Any, notification_id: str, value: bytes) -> None:
    try:
        await (await topic.send(key=notification_id.encode(), value=value))
    except KafkaError:
        raise NotSent from None
