"""A labour written out as CSV and JSON: what a spreadsheet or a program reading the file gets back."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import jsonschema
import pytest

from labour_tracker.domain.labour import Contraction, LabourUpdate, Moment, UpdateKind
from labour_tracker.http.export_formats import CSV_COLUMNS, FORMATS, ExportFormat, safe_cell
from labour_tracker.http.openapi import document
from labour_tracker.mirror.reads import LabourHeading

BEGAN = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)
LABOUR = LabourHeading(
    birthing_person_id="alice",
    id="7f1c7a52-5b1e-5d43-9d2a-0c7e0f1e2a3b",
    first_labour=True,
    name="Ada",
    start_time=BEGAN,
    end_time=BEGAN + timedelta(hours=9),
    phase="complete",
    notes='a girl, "Ada"',
    alerts=("urgent_attention", "hospital"),
)


UPDATES = [
    LabourUpdate("u1", UpdateKind.ANNOUNCEMENT, None, "alice", BEGAN, moment=Moment.WATERS_BROKEN),
    LabourUpdate("u2", UpdateKind.PRIVATE_NOTE, 'so "tired",\nreally', "alice", BEGAN, BEGAN + timedelta(hours=1)),
]


def contraction(n: int, notes: str | None = None, *, ended: bool = True, intensity: int | None = 5) -> Contraction:
    start = BEGAN + timedelta(minutes=5 * n)
    return Contraction(f"c{n}", start, start + timedelta(seconds=62.5) if ended else None, intensity, notes)


def written(chosen: ExportFormat, batches: list[list[Contraction]], labour: LabourHeading = LABOUR) -> bytes:
    """The whole file, as the view streams it: heading, each batch, end."""
    pieces = [chosen.heading(labour)]
    pieces += [chosen.contractions(labour, batch, first=n == 0) for n, batch in enumerate(batches)]
    return b"".join([*pieces, chosen.end(UPDATES)])


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


@pytest.mark.parametrize("dangerous", ["=1+1", "+44 7700", "-2", "@SUM(A1)", "\tx", "\rx", "\nx"])
def test_a_cell_a_spreadsheet_would_run_as_a_formula_starts_with_a_single_quote(dangerous: str) -> None:
    assert safe_cell(dangerous) == "'" + dangerous
    rows = csv_rows(written(FORMATS["csv"], [[contraction(0, dangerous)]]))
    assert rows[1][-1] == "'" + dangerous


@pytest.mark.parametrize("harmless", ["calm", "1 = 1", "a-b", "mail@example.com", "", "'quoted"])
def test_any_other_cell_is_left_as_it_is(harmless: str) -> None:
    assert safe_cell(harmless) == harmless


def test_notes_with_commas_quotes_and_line_breaks_come_back_from_a_csv_reader_as_written() -> None:
    notes = ['strong, long; "breathe"', "line one\nline two\r\nline three", 'only "quotes"', "tab\tinside", "é ✓ 👶"]
    data = written(FORMATS["csv"], [[contraction(n, each) for n, each in enumerate(notes)]])
    rows = csv_rows(data)
    assert rows[0] == list(CSV_COLUMNS)
    assert [row[-1] for row in rows[1:]] == notes
    assert len(rows) == 1 + len(notes)


def test_the_csv_has_a_header_and_one_row_per_contraction_with_crlf_line_ends() -> None:
    data = written(FORMATS["csv"], [[contraction(0), contraction(1, ended=False, intensity=None)], [contraction(2)]])
    assert data.startswith(b"labour_id,contraction_id,start_time,end_time,duration_seconds,intensity,notes\r\n")
    assert data.endswith(b"\r\n")
    rows = csv_rows(data)
    assert rows[1] == [LABOUR.id, "c0", "2025-03-14T09:00:00Z", "2025-03-14T09:01:02.500000Z", "62.5", "5", ""]
    assert rows[2] == [LABOUR.id, "c1", "2025-03-14T09:05:00Z", "", "", "", ""]  # still going: no end, no duration
    assert [row[1] for row in rows[1:]] == ["c0", "c1", "c2"]


def test_times_are_written_in_utc_whatever_zone_they_come_in() -> None:
    elsewhere = timezone(timedelta(hours=5, minutes=30))
    moment = datetime(2025, 3, 14, 14, 30, tzinfo=elsewhere)
    one = Contraction("c0", moment, moment + timedelta(minutes=1), 4, None)
    assert csv_rows(written(FORMATS["csv"], [[one]]))[1][2:4] == ["2025-03-14T09:00:00Z", "2025-03-14T09:01:00Z"]


def test_a_labour_without_contractions_is_a_header_alone_or_an_empty_list() -> None:
    assert csv_rows(written(FORMATS["csv"], [])) == [list(CSV_COLUMNS)]
    assert json.loads(written(FORMATS["json"], []))["labour"]["contractions"] == []


def test_the_json_is_the_labour_with_its_contractions_in_order_across_batches() -> None:
    batches = [[contraction(0, "first, calm")], [contraction(1, 'with "quotes"\nand a line'), contraction(2)]]
    exported: dict[str, Any] = json.loads(written(FORMATS["json"], batches))
    labour = exported["labour"]
    assert {key: labour[key] for key in ("id", "first_labour", "name", "start_time", "end_time", "phase", "notes")} == {
        "id": LABOUR.id,
        "first_labour": True,
        "name": "Ada",
        "start_time": "2025-03-14T09:00:00Z",
        "end_time": "2025-03-14T18:00:00Z",
        "phase": "complete",
        "notes": 'a girl, "Ada"',
    }
    assert labour["alerts"] == sorted(LABOUR.alerts)
    assert [each["id"] for each in labour["contractions"]] == ["c0", "c1", "c2"]
    assert labour["contractions"][1] == {
        "id": "c1",
        "start_time": "2025-03-14T09:05:00Z",
        "end_time": "2025-03-14T09:06:02.500000Z",
        "duration_seconds": 62.5,
        "intensity": 5,
        "notes": 'with "quotes"\nand a line',
    }
    assert labour["updates"] == [
        {"id": "u1", "kind": "announcement", "message": None, "posted_by": "alice",
         "posted_at": "2025-03-14T09:00:00Z", "edited_at": None, "moment": "waters_broken"},
        {"id": "u2", "kind": "private_note", "message": 'so "tired",\nreally', "posted_by": "alice",
         "posted_at": "2025-03-14T09:00:00Z", "edited_at": "2025-03-14T10:00:00Z", "moment": None},
    ]  # fmt: skip
    schemas = document()["components"]
    jsonschema.validate(exported, {"$ref": "#/components/schemas/LabourExportResponse", "components": schemas})


def test_an_empty_batch_after_the_first_adds_nothing() -> None:
    chosen = FORMATS["json"]
    assert chosen.contractions(LABOUR, [], first=False) == b""
    data = written(chosen, [[contraction(0)], [], [contraction(1)]])
    assert [each["id"] for each in json.loads(data)["labour"]["contractions"]] == ["c0", "c1"]


def test_the_document_gives_both_media_types_the_format_and_the_attachment_header() -> None:
    operation = document()["paths"]["/birthing-person/labours/{labour_id}/export"]["get"]
    answer = operation["responses"]["200"]
    assert answer["content"]["text/csv"]["schema"] == {"type": "string"}
    assert answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/LabourExportResponse"}
    assert answer["headers"]["Content-Disposition"]["required"] is True
    (chosen,) = [each for each in operation["parameters"] if each["name"] == "format"]
    assert chosen["required"] is True and chosen["schema"]["enum"] == ["csv", "json"]
    assert {"400", "401", "404", "503"} <= set(operation["responses"])
