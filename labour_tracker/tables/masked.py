"""Records as operators see them on the worker's introspection pages: ids, versions, statuses and times kept;
names, contact details, notes and messages masked."""

from __future__ import annotations

from typing import Any

from labour_tracker.messages.codec import to_data
from labour_tracker.tables.records import AggregateRecord

# Every field of a record that holds what a person wrote or who they are (`input`: what a refused command carried).
PERSONAL = frozenset({"first_name", "last_name", "phone_number", "email", "notes", "message", "destination", "input"})
MASK = "***"


def masked(data: Any) -> Any:
    """`data` (a state as JSON data) with the value of every personal field, wherever it is, masked."""
    if isinstance(data, dict):
        return {name: MASK if name in PERSONAL and value is not None else masked(value) for name, value in data.items()}
    if isinstance(data, list):
        return [masked(each) for each in data]
    return data


def operator_view(record: AggregateRecord[Any]) -> dict[str, Any]:
    """The record as JSON data, masked."""
    return {
        "state": masked(to_data(record.state)) if record.state is not None else None,
        "version": record.version,
        "processed": masked([each.model_dump(mode="json") for each in record.processed]),
        "last_command": record.last_command,
    }
