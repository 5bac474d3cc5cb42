"""The agent that owns the BirthingPerson aggregate: every change to a person passes through it, in order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from labour_tracker.agents.live import live_publications
from labour_tracker.agents.notification_fanout import notification_requests
from labour_tracker.agents.subscriptions import subscriber_side
from labour_tracker.app import LabourTrackerApp
from labour_tracker.domain import labour
from labour_tracker.domain.limits import LABOURS_PER_DAY
from labour_tracker.engine.decider import Decider
from labour_tracker.engine.handler import CommandHandler
from labour_tracker.engine.pipeline import command_agent
from labour_tracker.engine.replies import Replies
from labour_tracker.messages.birthing_person import COMMANDS
from labour_tracker.tables.aggregates import Tables
from labour_tracker.topics import Topics

PersonDecider = Decider[labour.BirthingPerson, labour.BirthingPersonCommand, labour.BirthingPersonEvent]


def decider(subscription_secret: bytes, labours_per_day: int = LABOURS_PER_DAY) -> PersonDecider:
    def decide_as(
        state: labour.BirthingPerson | None,
        command: labour.BirthingPersonCommand,
        now: datetime,
        command_id: str,
        actor: str | None = None,
    ) -> list[labour.BirthingPersonEvent]:
        return labour.decide(
            state,
            command,
            now=now,
            command_id=command_id,
            subscription_secret=subscription_secret,
            labours_per_day=labours_per_day,
            actor=actor,
        )

    return Decider(
        name="birthing_person",
        commands=COMMANDS,
        decide=decide_as,
        evolve=labour.evolve,
        personal=labour.PERSONAL_EVENT_TYPES,
        decide_as=decide_as,
    )


def birthing_person_agent(app: LabourTrackerApp, topics: Topics, tables: Tables, replies: Replies) -> Any:
    handler = CommandHandler(
        decider(app.settings.subscription_token_secret.encode(), app.settings.labours_per_day),
        tables.birthing_persons,
        events=topics.birthing_person_events,
        outcomes=topics.birthing_person_outcomes,
        dead_letters=topics.dead_letters,
        follow_ups=lambda person, events: [
            *notification_requests(topics.notification_requests, person, events),
            *subscriber_side(topics.subscriber_commands, events),
            *live_publications(topics.birthing_person_live, person, events),
        ],
        max_message_bytes=app.settings.max_message_bytes,
        commands_per_minute=app.settings.commands_per_minute,
    )
    return command_agent(app, "birthing_person", topics.birthing_person_commands, handler, replies)
