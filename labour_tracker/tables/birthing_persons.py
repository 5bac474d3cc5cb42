"""The BirthingPerson table: one record per person id, co-partitioned with the birthing-person command topic."""

from __future__ import annotations

from labour_tracker.app import app
from labour_tracker.domain.labour import BirthingPerson
from labour_tracker.tables.records import aggregate_table

birthing_persons = aggregate_table(
    app, "birthing_persons", BirthingPerson, help="BirthingPerson aggregates and their latest command outcomes."
)
