"""Our topics, all under one prefix: commands and events per aggregate (keyed by its id), outcomes, dead letters."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import faust

from labour_tracker.app import LabourTrackerApp
from labour_tracker.messages.retention import KEEP_FOREVER, LIVE_WINDOW, WORK_IN_FLIGHT


def topic(app: LabourTrackerApp, name: str, *, config: dict[str, Any] | None = None) -> faust.TopicT:
    """A topic of raw JSON bytes keyed by the UTF-8 aggregate id, as any Kafka client would produce it; the app
    declares it with its partitions as it starts.

    Keys are read as bytes and decoded by the agents (`parking.readable_key`): Faust's own decoding of a key that
    is not UTF-8 would crash the agent instead of parking the message.
    """
    declared = app.topic(
        f"{app.settings.topic_prefix}.{name}",
        key_type=bytes,
        key_serializer="raw",
        value_type=bytes,
        value_serializer="raw",
        partitions=app.settings.topic_partitions,
        internal=True,
        config=config,
    )
    app.declared_topics.append(declared)
    return declared


@dataclass(frozen=True)
class Topics:
    birthing_person_commands: faust.TopicT
    birthing_person_events: faust.TopicT
    birthing_person_outcomes: faust.TopicT
    subscriber_commands: faust.TopicT
    subscriber_events: faust.TopicT
    subscriber_outcomes: faust.TopicT
    dead_letters: faust.TopicT
    notification_requests: faust.TopicT  # keyed by subscriber id
    notification_destinations: faust.TopicT  # keyed by the destination's keyed digest, like its count
    notification_deliveries: faust.TopicT  # keyed by notification id, like its status
    notification_events: faust.TopicT  # keyed by notification id
    notification_reports: faust.TopicT  # keyed by notification id, like its status
    notification_resends: faust.TopicT  # keyed by notification id, like its status
    birthing_person_live: faust.TopicT  # keyed by person id: what each command changed, for the live streams

    @classmethod
    def of(cls, app: LabourTrackerApp) -> Topics:
        return cls(
            topic(app, "birthing_person.commands", config=WORK_IN_FLIGHT),
            topic(app, "birthing_person.events", config=KEEP_FOREVER),
            topic(app, "birthing_person.outcomes", config=WORK_IN_FLIGHT),
            topic(app, "subscriber.commands", config=WORK_IN_FLIGHT),
            topic(app, "subscriber.events", config=KEEP_FOREVER),
            topic(app, "subscriber.outcomes", config=WORK_IN_FLIGHT),
            topic(app, "dead_letters", config=KEEP_FOREVER),
            topic(app, "notifications.requests", config=WORK_IN_FLIGHT),
            topic(app, "notifications.destinations", config=WORK_IN_FLIGHT),
            topic(app, "notifications.deliveries", config=WORK_IN_FLIGHT),
            topic(app, "notification.events", config=KEEP_FOREVER),
            topic(app, "notifications.reports", config=WORK_IN_FLIGHT),
            topic(app, "notifications.resends", config=WORK_IN_FLIGHT),
            topic(app, "birthing_person.live", config=LIVE_WINDOW),
        )

    @property
    def names(self) -> frozenset[str]:
        return frozenset(getattr(self, each.name).get_topic_name() for each in fields(self))
