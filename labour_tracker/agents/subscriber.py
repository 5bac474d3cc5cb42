"""The agent that owns the Subscriber aggregate: every change to a subscriber passes through it, in order."""

from __future__ import annotations

from typing import Any

from labour_tracker.agents.notification_fanout import confirmation_codes
from labour_tracker.app import LabourTrackerApp
from labour_tracker.domain import subscriber
from labour_tracker.engine.decider import Decider
from labour_tracker.engine.handler import CommandHandler
from labour_tracker.engine.pipeline import command_agent
from labour_tracker.engine.replies import Replies
from labour_tracker.messages.subscriber import COMMANDS
from labour_tracker.tables.aggregates import Tables
from labour_tracker.topics import Topics

SubscriberDecider = Decider[subscriber.Subscriber, subscriber.SubscriberCommand, subscriber.SubscriberEvent]


def decider(secret: bytes) -> SubscriberDecider:
    """`secret` (the server's) makes and checks the codes that confirm a destination."""
    return Decider(
        name="subscriber",
        commands=COMMANDS,
        decide=lambda state, command, now, command_id: subscriber.decide(
            state, command, now=now, command_id=command_id, secret=secret
        ),
        evolve=subscriber.evolve,
        personal=subscriber.PERSONAL_EVENT_TYPES,
    )


def subscriber_agent(app: LabourTrackerApp, topics: Topics, tables: Tables, replies: Replies) -> Any:
    secret = app.settings.subscription_token_secret.encode()
    handler = CommandHandler(
        decider(secret),
        tables.subscribers,
        events=topics.subscriber_events,
        outcomes=topics.subscriber_outcomes,
        dead_letters=topics.dead_letters,
        follow_ups=lambda state, events: confirmation_codes(topics.notification_destinations, secret, state, events),
        max_message_bytes=app.settings.max_message_bytes,
        commands_per_minute=app.settings.commands_per_minute,
    )
    return command_agent(app, "subscriber", topics.subscriber_commands, handler, replies)
