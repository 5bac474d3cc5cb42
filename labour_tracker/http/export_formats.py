"""How a labour is written out for download, a piece at a time: a heading, its contractions batch by batch, an end.

- CSV (RFC 4180, comma-separated, CRLF line ends, a header row): one row per contraction, in the order they started.
  A cell that a spreadsheet would take for a formula (starting with =, +, -, @, a tab, a carriage return or a line
  feed) is prefixed with a single quote, as OWASP advises against CSV injection; every other cell is as kept.
- JSON: `{"labour": {...the labour..., "contractions": [...], "updates": [...]}}`, the shape of a labour in the
  history list with its updates (the person's private notes in their own download only).

Times are ISO-8601 in UTC (`2025-03-14T09:26:53Z`), durations in seconds. Nothing here does I/O.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Protocol

from labour_tracker.domain.labour import Alert, Contraction, LabourUpdate, Phase
from labour_tracker.http.schemas import ContractionView, LabourRecordView, LabourUpdateView
from labour_tracker.mirror.reads import LabourHeading

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
CSV_COLUMNS = ("labour_id", "contraction_id", "start_time", "end_time", "duration_seconds", "intensity", "notes")


class ExportFormat(Protocol):
    name: str  # as `?format=` names it, and the file's extension
    media_type: str
    charset: str | None

    def heading(self, labour: LabourHeading) -> bytes: ...

    def contractions(self, labour: LabourHeading, batch: list[Contraction], *, first: bool) -> bytes: ...

    def end(self, updates: list[LabourUpdate]) -> bytes: ...


def utc(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def safe_cell(text: str) -> str:
    """A text cell a spreadsheet shows as text: a leading formula character gets a single quote before it."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class CsvExport:
    name: str = "csv"
    media_type: str = "text/csv"
    charset: str | None = "utf-8"

    @staticmethod
    def _rows(rows: Iterable[Iterable[str]]) -> bytes:
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows(rows)
        return out.getvalue().encode()

    def heading(self, labour: LabourHeading) -> bytes:
        return self._rows([CSV_COLUMNS])

    def contractions(self, labour: LabourHeading, batch: list[Contraction], *, first: bool) -> bytes:
        return self._rows(
            (
                safe_cell(labour.id),
                safe_cell(each.id),
                utc(each.start_time),
                utc(each.end_time),
                "" if each.duration is None else str(each.duration.total_seconds()),
                "" if each.intensity is None else str(each.intensity),
                "" if each.notes is None else safe_cell(each.notes),
            )
            for each in batch
        )

    def end(self, updates: list[LabourUpdate]) -> bytes:
        return b""  # one row per contraction: the updates are in the JSON


class JsonExport:
    name: str = "json"
    media_type: str = "application/json"
    charset: str | None = None  # JSON is UTF-8 by definition (RFC 8259): no parameter

    def heading(self, labour: LabourHeading) -> bytes:
        view = LabourRecordView(
            id=labour.id,
            first_labour=labour.first_labour,
            name=labour.name,
            start_time=labour.start_time,
            end_time=labour.end_time,
            phase=Phase(labour.phase),
            notes=labour.notes,
            alerts=sorted(Alert(each) for each in labour.alerts),
            contractions=[],
        )
        fields = view.__pydantic_serializer__.to_json(view, exclude={"contractions"})  # `{...}`, contractions last
        return b'{"labour":' + fields[:-1] + b',"contractions":['

    def contractions(self, labour: LabourHeading, batch: list[Contraction], *, first: bool) -> bytes:
        items = b",".join(ContractionView.of(each).to_json() for each in batch)
        return items if first or not items else b"," + items

    def end(self, updates: list[LabourUpdate]) -> bytes:
        return b'],"updates":[' + b",".join(LabourUpdateView.of(each).to_json() for each in updates) + b"]}}"


FORMATS: dict[str, ExportFormat] = {each.name: each for each in (CsvExport(), JsonExport())}
