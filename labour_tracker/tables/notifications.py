"""The Notification table: one record per notification id, co-partitioned with the notification delivery topic."""

from __future__ import annotations

from labour_tracker.app import app
from labour_tracker.domain.notification import Notification
from labour_tracker.tables.records import aggregate_table

notifications = aggregate_table(
    app, "notifications", Notification, help="Each notification's delivery status: the record that it is sent once."
)
