"""The agent that owns the BirthingPerson aggregate: every change to a person passes through it, in order."""

from __future__ import annotations

from labour_tracker.agents import topics
from labour_tracker.agents.command_handler import Aggregate, CommandHandler, command_agent
from labour_tracker.agents.notification_fanout import notification_requests
from labour_tracker.agents.replies import replies
from labour_tracker.app import app
from labour_tracker.domain import labour
from labour_tracker.messages.birthing_person import COMMANDS
from labour_tracker.tables.birthing_persons import birthing_persons

SUBSCRIPTION_SECRET = app.settings.subscription_token_secret.encode()

BIRTHING_PERSON: Aggregate[labour.BirthingPerson, labour.BirthingPersonCommand, labour.BirthingPersonEvent] = Aggregate(
    name="birthing_person",
    commands=COMMANDS,
    decide=lambda state, command, now, command_id: labour.decide(
        state, command, now=now, command_id=command_id, subscription_secret=SUBSCRIPTION_SECRET
    ),
    evolve=labour.evolve,
)

birthing_person_agent = command_agent(
    app,
    "birthing_person",
    topics.birthing_person_commands,
    CommandHandler(
        BIRTHING_PERSON,
        birthing_persons,
        events=topics.birthing_person_events,
        outcomes=topics.birthing_person_outcomes,
        dead_letters=topics.dead_letters,
        follow_ups=notification_requests,
        max_message_bytes=app.settings.max_message_bytes,
    ),
    replies,
)
