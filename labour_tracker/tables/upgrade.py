"""Person records in the earlier, unbounded shape, read in the bounded one.

Such a record holds every labour the person had, with every contraction and note, and may be too large to write
to Kafka again. Read, it becomes the latest labour and summaries of the ones before, within the limits: the
newest contractions and the newest notes are kept. Nothing is rewritten here; the person's next command stores
the new shape. The mirror already holds what the record lets go of, and the events keep all of it.
"""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from pydantic import TypeAdapter, ValidationError

from labour_tracker.domain.limits import CONTRACTIONS_PER_LABOUR, NOTES_BYTES_PER_LABOUR, PAST_LABOURS_KEPT, note_bytes

T = TypeVar("T")


def read_record(adapter: TypeAdapter[T], raw: bytes) -> T:
    """A table record from its changelog JSON, whichever version of the service wrote it."""
    try:
        return adapter.validate_json(raw)
    except ValidationError:
        data = _json_object(raw)
        state = data.get("state")
        if not (isinstance(state, dict) and isinstance(state.get("labours"), list)):
            raise
        return adapter.validate_python({**data, "state": bounded_person(state)})


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


def bounded_person(state: dict[str, Any]) -> dict[str, Any]:
    """A birthing person in the unbounded shape (`labours`: all of them), in the bounded one."""
    *before, latest = state["labours"] or [None]
    upgraded = {key: value for key, value in state.items() if key != "labours"}
    upgraded["latest_labour"] = _within_limits(latest) if isinstance(latest, dict) else None
    upgraded["past_labours"] = [_summary(each) for each in before[-PAST_LABOURS_KEPT:] if isinstance(each, dict)]
    return upgraded


def _summary(labour: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": labour.get("id"),
        "first_labour": labour.get("first_labour"),
        "start_time": labour.get("start_time"),
        "end_time": labour.get("end_time"),
        "contraction_count": len(labour.get("contractions") or ()),
    }


def _within_limits(labour: dict[str, Any]) -> dict[str, Any]:
    """The labour with its newest contractions and, newest first, the notes that fit the labour's notes budget."""
    room = NOTES_BYTES_PER_LABOUR.maximum
    notes = labour.get("notes")
    if note_bytes(notes) > room:
        notes = None
    room -= note_bytes(notes)
    kept = []
    for contraction in reversed((labour.get("contractions") or [])[-CONTRACTIONS_PER_LABOUR.maximum :]):
        size = note_bytes(contraction.get("notes"))
        if size > room:
            contraction = {**contraction, "notes": None}
        else:
            room -= size
        kept.append(contraction)
    return {**labour, "notes": notes, "contractions": kept[::-1]}
