"""Commands from the HTTP views to the agents, sent on a Kafka producer of the views' own, as Faust's request/reply.

aiokafka has one produce request at a time in flight to a broker. On the worker's one producer a view's command
waited behind the agents' events, outcomes and changelog records, and they behind it; apart, each waits only for its
own kind. The reply comes as with Faust's `agent.ask`: the command names this worker's reply topic and a correlation
id in its headers, and Faust's reply consumer hands the answer over.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, cast

from aiokafka import AIOKafkaProducer
from faust.agents.replies import ReplyPromise

from labour_tracker.agents.replies import CORRELATION_ID, REPLY_TO
from labour_tracker.app import OneChannelReplyConsumer


class Asker:
    """Sends a command to an agent's topic and awaits the agent's reply; the producer starts with the first."""

    def __init__(self, faust_app: Any, bootstrap: str) -> None:
        self.faust_app = faust_app
        self.bootstrap = bootstrap
        self._producer: AIOKafkaProducer | None = None
        self._starting = asyncio.Lock()

    async def ask(self, agent: Any, value: bytes, key: str) -> Any:
        """The agent's reply to `value`, sent keyed by `key`; a KafkaError if the command could not be sent."""
        producer = await self._started()
        replies = cast(OneChannelReplyConsumer, self.faust_app._reply_consumer)
        reply_to, correlation_id = self.faust_app.conf.reply_to, str(uuid.uuid4())
        promise = ReplyPromise(reply_to, correlation_id)
        await replies.add(correlation_id, promise)
        headers = [(REPLY_TO, reply_to.encode()), (CORRELATION_ID, correlation_id.encode())]
        try:
            delivered = await producer.send(agent.channel.get_topic_name(), value, key=key.encode(), headers=headers)
        except BaseException:
            replies.forget(correlation_id)
            raise
        delivered.add_done_callback(lambda sent: _fail_if_not_sent(sent, promise))
        return await promise

    async def _started(self) -> AIOKafkaProducer:
        async with self._starting:
            if self._producer is None:
                # As the worker's own producer: every in-sync replica has a command before it counts as sent.
                producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, acks="all", linger_ms=0)
                await producer.start()  # a KafkaError if the cluster cannot be reached: tried again next time
                self._producer = producer
            return self._producer

    async def close(self) -> None:
        if self._producer is not None:
            producer, self._producer = self._producer, None
            await producer.stop()


def _fail_if_not_sent(sent: asyncio.Future[Any], promise: ReplyPromise) -> None:
    """A command the broker did not take is never answered: its caller hears why at once, not at the timeout."""
    if not sent.cancelled() and sent.exception() is not None and not promise.done():
        promise.set_exception(cast(BaseException, sent.exception()))
