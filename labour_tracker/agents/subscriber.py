"""The agent that owns the Subscriber aggregate: every change to a subscriber passes through it, in order."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import faust

from labour_tracker.agents import topics
from labour_tracker.agents.command_handler import Aggregate, CommandHandler
from labour_tracker.app import app
from labour_tracker.domain import subscriber
from labour_tracker.messages.subscriber import COMMANDS
from labour_tracker.tables.subscribers import subscribers

SUBSCRIBER: Aggregate[subscriber.Subscriber, subscriber.SubscriberCommand, subscriber.SubscriberEvent] = Aggregate(
    name="subscriber",
    commands=COMMANDS,
    decide=lambda state, command, now, _command_id: subscriber.decide(state, command, now=now),
    evolve=subscriber.evolve,
)

handler = CommandHandler(
    SUBSCRIBER,
    subscribers,
    events=topics.subscriber_events,
    outcomes=topics.subscriber_outcomes,
    dead_letters=topics.dead_letters,
)


# One message at a time per partition (concurrency 1): the aggregate's commands must apply in order.
@app.agent(topics.subscriber_commands, name="subscriber", use_reply_headers=True)
async def subscriber_agent(stream: faust.StreamT[bytes]) -> AsyncIterator[dict[str, Any]]:
    async for event in stream.events():
        yield await handler.handle(event.key, event.value, event.message)
