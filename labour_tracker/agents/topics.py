"""Our topics, all under one prefix: commands and events per aggregate (keyed by its id), outcomes, dead letters."""

from __future__ import annotations

from typing import Any

import faust

from labour_tracker.app import app

KEEP_FOREVER = {"retention.ms": "-1"}
DECLARED: list[faust.TopicT] = []


def topic(name: str, *, config: dict[str, Any] | None = None) -> faust.TopicT:
    """A topic of raw JSON bytes keyed by the UTF-8 aggregate id, as any Kafka client would produce it.

    Keys are read as bytes and decoded by the agents (`command_handler.readable_key`): Faust's own decoding of a key
    that is not UTF-8 would crash the agent instead of parking the message.
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
    DECLARED.append(declared)
    return declared


async def declare_topics() -> None:
    """Create our topics with their partitions before any is used: Kafka would make them with its default."""
    for each in DECLARED:
        await each.maybe_declare()


birthing_person_commands = topic("birthing_person.commands")
birthing_person_events = topic("birthing_person.events", config=KEEP_FOREVER)
birthing_person_outcomes = topic("birthing_person.outcomes")
subscriber_commands = topic("subscriber.commands")
subscriber_events = topic("subscriber.events", config=KEEP_FOREVER)
subscriber_outcomes = topic("subscriber.outcomes")
dead_letters = topic("dead_letters", config=KEEP_FOREVER)
notification_requests = topic("notifications.requests")  # keyed by subscriber id
notification_deliveries = topic("notifications.deliveries")  # keyed by notification id, like its status
notification_events = topic("notification.events", config=KEEP_FOREVER)  # keyed by notification id
