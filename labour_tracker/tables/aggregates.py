"""The worker's tables: one record per aggregate id, each co-partitioned with the topic of its only writer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import faust
from faust.serializers import codecs

from labour_tracker.domain.labour import BirthingPerson
from labour_tracker.domain.notification import Notification
from labour_tracker.domain.notification.destination import DestinationLog
from labour_tracker.domain.subscriber import Subscriber
from labour_tracker.messages.retention import COMPACTED_WITHIN_A_DAY
from labour_tracker.tables.names import BIRTHING_PERSONS, DESTINATIONS, NOTIFICATIONS, SUBSCRIBERS
from labour_tracker.tables.records import RecordCodec

Table = faust.Table[str, Any]


def aggregate_table(app: faust.App, name: str, state_type: type[Any], *, help: str) -> Table:
    """A table of AggregateRecords keyed by the aggregate id, co-partitioned with the aggregate's command topic."""
    codecs.register(f"{name}_record", RecordCodec(state_type))
    table: Table = app.Table(  # type: ignore[assignment]
        name,
        key_type=str,
        partitions=app.conf.topic_partitions,
        help=help,
        extra_topic_configs=COMPACTED_WITHIN_A_DAY,  # an erased record's tombstone takes every earlier one with it
    )
    # Faust takes a table's codecs from its key and value types only, and makes its changelog topic with them in
    # `app.Table`: set ours, then remake the topic, or recovery cannot read the changelog.
    table.key_serializer = "raw"
    table.value_serializer = f"{name}_record"
    table.changelog_topic = table._new_changelog_topic()
    return table


@dataclass(frozen=True)
class Tables:
    birthing_persons: Table  # the birthing-person command topic's agent writes it
    subscribers: Table  # the subscriber command topic's agent writes it
    notifications: Table  # each notification's delivery status, written by the sender: it is sent once
    destinations: Table  # the messages lately sent to each destination (by keyed digest), for the cap on them

    @classmethod
    def of(cls, app: faust.App) -> Tables:
        return cls(
            aggregate_table(
                app,
                BIRTHING_PERSONS,
                BirthingPerson,
                help="BirthingPerson aggregates and their latest command outcomes.",
            ),
            aggregate_table(
                app, SUBSCRIBERS, Subscriber, help="Subscriber aggregates and their latest command outcomes."
            ),
            aggregate_table(
                app,
                NOTIFICATIONS,
                Notification,
                help="Each notification's delivery status: the record that it is sent once.",
            ),
            aggregate_table(
                app,
                DESTINATIONS,
                DestinationLog,
                help="The messages lately sent to each destination, under a keyed digest of it: the cap's count.",
            ),
        )
