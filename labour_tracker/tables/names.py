"""The tables' names, and their changelog topics as Faust names them: known without building a Faust app."""

from __future__ import annotations

BIRTHING_PERSONS = "birthing_persons"
SUBSCRIBERS = "subscribers"
NOTIFICATIONS = "notifications"
DESTINATIONS = "destinations"  # messages lately sent to each destination, by its keyed digest: not mirrored
MIRRORED = (BIRTHING_PERSONS, SUBSCRIBERS, NOTIFICATIONS)  # every table the mirror copies into PostgreSQL


def changelog_topic(app_id: str, table: str) -> str:
    return f"{app_id}-{table}-changelog"


def changelogs(app_id: str) -> dict[str, str]:
    """Changelog topic -> the table it records, for every mirrored table."""
    return {changelog_topic(app_id, table): table for table in MIRRORED}
