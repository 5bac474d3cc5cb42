"""A birthing person downloads a labour of theirs, as CSV and as JSON, from a running worker (read from the mirror)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from multidict import CIMultiDictProxy

from tests.support.api import Caller, MakeCaller, iso
from tests.support.tokens import authorization

NOTES = [
    'strong, long; "breathe" she said',
    "line one\nline two",
    '=HYPERLINK("http://example.com","click")',
    "-2 minutes since the last",
    None,
]


@dataclass
class Download:
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes
    http_chunks: int  # chunks of the chunked transfer coding the body came in


async def download(caller: Caller, labour_id: str, format_: str) -> Download:
    url = f"{caller.base_url}/api/v1/birthing-person/labours/{labour_id}/export"
    async with caller.session.get(url, params={"format": format_}, headers=authorization(caller.token)) as answer:
        pieces, chunks = [], 0
        async for data, end_of_chunk in answer.content.iter_chunks():
            pieces.append(data)
            chunks += end_of_chunk
        return Download(answer.status, answer.headers, b"".join(pieces), chunks)


async def labour_with_notes(alice: Caller) -> dict[str, Any]:
    """A completed labour, back-dated, one contraction for each of NOTES; the labour as the API answered it."""
    began = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=6)
    assert (await alice.post("/birthing-person/register")).status == 201
    assert (await alice.post("/labour/begin", {"first_labour": True, "start_time": iso(began)})).status == 200
    for n, notes in enumerate(NOTES):
        start = began + timedelta(minutes=5 * (n + 1))
        body: dict[str, Any] = {"start_time": iso(start), "intensity": n + 3}
        assert (await alice.post("/labour/contraction/start", body | ({"notes": notes} if notes else {}))).status == 200
        ended = await alice.put(
            "/labour/contraction/end", {"end_time": iso(start + timedelta(seconds=70)), "intensity": 6}
        )
        assert ended.status == 200, ended.body
    completed = await alice.put("/labour/complete", {"notes": "a boy, 3.4 kg"})
    assert completed.status == 200, completed.body
    labour: dict[str, Any] = completed.body["labour"]
    return labour


async def mirrored(alice: Caller, labour_id: str, *, within: float = 30.0) -> Download:
    """The JSON download, once the mirror holds the completed labour (it trails the tables by moments)."""
    deadline = time.monotonic() + within
    while True:
        got = await download(alice, labour_id, "json")
        if got.status == 200 and json.loads(got.body)["labour"]["end_time"] is not None:
            return got
        assert time.monotonic() < deadline, f"the mirror did not catch up in time: {got.status}"
        await asyncio.sleep(0.1)


async def test_a_person_downloads_their_labour_as_json_and_as_csv_streamed(person: MakeCaller) -> None:
    alice = person("Alice", "Smith")
    answered = await labour_with_notes(alice)

    as_json = await mirrored(alice, answered["id"])
    assert as_json.headers["Content-Type"] == "application/json"
    assert as_json.headers["Content-Disposition"] == f'attachment; filename="labour-{answered["id"]}.json"'
    assert as_json.headers["Transfer-Encoding"] == "chunked" and "Content-Length" not in as_json.headers
    assert as_json.headers["Cache-Control"] == "no-store"
    assert as_json.http_chunks >= 3  # the labour, its contractions, the end: each written as it is ready
    exported = json.loads(as_json.body)["labour"]
    fields = ("id", "first_labour", "start_time", "end_time", "phase", "notes", "alerts")
    assert {f: exported[f] for f in fields} == {f: answered[f] for f in fields}
    contraction_fields = ("id", "start_time", "end_time", "duration_seconds", "intensity", "notes")
    assert [{f: c[f] for f in contraction_fields} for c in exported["contractions"]] == [
        {f: c[f] for f in contraction_fields} for c in answered["contractions"]
    ]
    assert [c["notes"] for c in exported["contractions"]] == NOTES

    url = f"{alice.base_url}/api/v1/birthing-person/labours/{answered['id']}/export?format=json"
    async with alice.session.head(url, headers=authorization(alice.token)) as probed:  # the headers alone
        assert probed.status == 200 and await probed.read() == b""
        assert probed.headers["Content-Disposition"] == as_json.headers["Content-Disposition"]

    as_csv = await download(alice, answered["id"], "csv")
    assert as_csv.status == 200
    assert as_csv.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert as_csv.headers["Content-Disposition"] == f'attachment; filename="labour-{answered["id"]}.csv"'
    assert as_csv.headers["Transfer-Encoding"] == "chunked"
    rows = list(csv.reader(io.StringIO(as_csv.body.decode(), newline="")))
    assert rows[0] == [
        "labour_id",
        "contraction_id",
        "start_time",
        "end_time",
        "duration_seconds",
        "intensity",
        "notes",
    ]
    by_column = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert [row["contraction_id"] for row in by_column] == [c["id"] for c in answered["contractions"]]
    assert {row["labour_id"] for row in by_column} == {answered["id"]}
    assert [row["duration_seconds"] for row in by_column] == ["70.0"] * len(NOTES)
    assert [row["start_time"] for row in by_column] == [c["start_time"] for c in exported["contractions"]]
    assert [row["notes"] for row in by_column] == [
        'strong, long; "breathe" she said',
        "line one\nline two",
        '\'=HYPERLINK("http://example.com","click")',  # a formula a spreadsheet would run is shown as text
        "'-2 minutes since the last",
        "",
    ]


async def test_another_persons_labour_is_not_found_as_one_that_does_not_exist(person: MakeCaller) -> None:
    alice, bob, stranger = person("Alice", "Jones"), person("Bob", "Brown"), person("Eve", "Unregistered")
    answered = await labour_with_notes(alice)
    await mirrored(alice, answered["id"])
    assert (await bob.post("/birthing-person/register")).status == 201

    for caller in (bob, stranger):
        for format_ in ("csv", "json"):
            theirs = await download(caller, answered["id"], format_)
            nobodys = await download(caller, "0d9f6c1e-6b55-5f6a-9d43-1a2b3c4d5e6f", format_)
            assert (theirs.status, theirs.body) == (nobodys.status, nobodys.body)
            assert theirs.status == 404 and json.loads(theirs.body)["code"] == "labour_not_found"
            assert "Content-Disposition" not in theirs.headers


async def test_an_unknown_format_is_refused_before_anything_is_read(person: MakeCaller) -> None:
    alice = person("Alice", "Green")
    for format_ in ("xml", "", "CSV"):
        refused = await download(alice, "any-labour", format_)
        assert refused.status == 400 and json.loads(refused.body)["code"] == "invalid_query", format_
