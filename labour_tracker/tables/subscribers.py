"""The Subscriber table: one record per subscriber id, co-partitioned with the subscriber command topic."""

from __future__ import annotations

from labour_tracker.app import app
from labour_tracker.domain.subscriber import Subscriber
from labour_tracker.tables.records import aggregate_table

subscribers = aggregate_table(
    app, "subscribers", Subscriber, help="Subscriber aggregates and their latest command outcomes."
)
