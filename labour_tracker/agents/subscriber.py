"""The agent that owns the Subscriber aggregate: every change to a subscriber passes through it, in order."""

from __future__ import annotations

from labour_tracker.agents import topics
from labour_tracker.agents.command_handler import Aggregate, CommandHandler, command_agent
from labour_tracker.agents.replies import replies
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

subscriber_agent = command_agent(
    app,
    "subscriber",
    topics.subscriber_commands,
    CommandHandler(
        SUBSCRIBER,
        subscribers,
        events=topics.subscriber_events,
        outcomes=topics.subscriber_outcomes,
        dead_letters=topics.dead_letters,
        max_message_bytes=app.settings.max_message_bytes,
    ),
    replies,
)
