"""A hostile user fills their labour with notes at their largest, contraction after contraction, and then with
contractions, until the service refuses: each refusal is a clear 4xx naming the limit, what was accepted before it
is kept as it was, the worker stays the same ready process, and someone else's labour is served throughout.

A contraction's notes given when it ends replace those given when it started, so each contraction keeps one note of
at most 2,000 bytes, and a labour's 32 KiB of notes is reached on the 17th. With Kafka messages kept small
(LABOUR_TRACKER_MAX_MESSAGE_BYTES), a command whose record would not fit in one is refused as `record_too_large`
instead, and the worker goes on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import aiohttp
import pytest

from labour_tracker.devstack.worker import WorkerProcess
from tests.support.api import MakeCaller, Response, iso
from tests.support.labour import NOTE_BYTES, PROSE_NOTE, Labour, utf8
from tests.support.stack import Deployment, SameProcess

NOTES_PER_LABOUR = 32 * 1024
CONTRACTIONS_PER_LABOUR = 1_000
EMOJI_NOTE = "🤰" * (NOTE_BYTES // 4)  # 500 characters of four bytes each


def assert_refused(answer: Response, status: int, code: str) -> None:
    """A refusal of exactly the shape `{"description", "code"}`."""
    body = answer.body if isinstance(answer.body, dict) else {}
    assert (answer.status, body.get("code")) == (status, code), (answer.status, answer.body)
    assert set(body) == {"description", "code"}, body
    assert body["description"].strip()


@dataclass
class Bystander:
    """Someone else in labour on the same worker: every one of their commands must be served."""

    labour: Labour
    served: int = 0
    slowest: float = 0.0

    async def next_command(self) -> None:
        began = time.monotonic()
        answer = await (self.labour.end() if self.labour.active else self.labour.start())
        self.slowest = max(self.slowest, time.monotonic() - began)
        assert answer.status == 200, answer.body
        self.served += 1


async def readiness(http: aiohttp.ClientSession, worker: WorkerProcess) -> int:
    async with http.get(f"{worker.url}/api/v1/ready") as answer:
        return answer.status


async def in_labour(make: MakeCaller, given_name: str, family_name: str) -> Labour:
    labour = Labour(make(given_name, family_name))
    await labour.begin()
    return labour


async def notes_until_refused(hostile: Labour, note: str, bystander: Bystander) -> Response:
    """Contraction after contraction with `note` when it starts and again when it ends, the bystander's commands in
    between, until a command is refused: that refusal."""
    for _ in range(NOTES_PER_LABOUR // NOTE_BYTES + 10):
        started = await hostile.start(note)
        await bystander.next_command()
        if started.status != 200:
            return started
        ended = await hostile.end(note)
        await bystander.next_command()
        if ended.status != 200:
            return ended
    raise AssertionError(f"{len(hostile.kept)} contractions with {hostile.notes_bytes:,} bytes of notes taken")


def filling(note: str, room: int) -> str:
    """The longest start of `note` that takes at most `room` bytes."""
    while utf8(note) > room:
        note = note[:-1]
    return note


@pytest.mark.parametrize("note", [EMOJI_NOTE, PROSE_NOTE], ids=["four-byte-emoji", "ascii"])
async def test_notes_at_their_largest_are_refused_once_a_labour_holds_32_kib_and_no_one_else_notices(
    worker: WorkerProcess, person: MakeCaller, http: aiohttp.ClientSession, note: str
) -> None:
    assert utf8(note) == NOTE_BYTES
    same = SameProcess(worker)
    hostile = await in_labour(person, "Hana", "Hostile")
    bystander = Bystander(await in_labour(person, "Bea", "Bystander"))

    refused = await notes_until_refused(hostile, note, bystander)
    assert_refused(refused, 400, "notes_limit_reached")
    assert len(hostile.kept) == NOTES_PER_LABOUR // NOTE_BYTES == 16
    assert not hostile.active, "the 17th contraction's start was refused"
    assert await readiness(http, worker) == 200

    # The room left is taken to the byte, and then not one byte more, by a contraction's notes or the labour's own.
    room = NOTES_PER_LABOUR - hostile.notes_bytes
    assert (await hostile.start()).status == 200
    assert_refused(await hostile.end(note), 400, "notes_limit_reached")
    assert hostile.active
    ended = await hostile.end(filling(note, room))
    assert ended.status == 200, ended.body
    assert hostile.notes_bytes == NOTES_PER_LABOUR
    assert_refused(await hostile.start("."), 400, "notes_limit_reached")
    end_time = iso(hostile.start_time(len(hostile.kept)))
    assert_refused(await hostile.caller.put("/labour/complete", {"notes": ".", "end_time": end_time}), 400,
                   "notes_limit_reached")  # fmt: skip
    await bystander.next_command()

    await hostile.assert_intact()
    await bystander.labour.assert_intact()
    assert await readiness(http, worker) == 200
    same.check()


async def test_a_labour_takes_1000_contractions_and_refuses_the_next_while_someone_else_is_served(
    worker: WorkerProcess, person: MakeCaller, http: aiohttp.ClientSession
) -> None:
    same = SameProcess(worker)
    began = time.monotonic()
    hostile = await in_labour(person, "Hana", "Hostile")
    bystander = Bystander(await in_labour(person, "Bea", "Bystander"))
    assert_refused(await notes_until_refused(hostile, EMOJI_NOTE, bystander), 400, "notes_limit_reached")

    while len(hostile.kept) < CONTRACTIONS_PER_LABOUR:
        started = await hostile.start()
        assert started.status == 200, (len(hostile.kept), started.body)
        ended = await hostile.end()
        assert ended.status == 200, (len(hostile.kept), ended.body)
        if len(hostile.kept) % 10 == 0:
            await bystander.next_command()
        if len(hostile.kept) % 100 == 0:
            assert await readiness(http, worker) == 200, f"not ready after {len(hostile.kept)} contractions"
    assert_refused(await hostile.start(), 400, "contraction_limit_reached")
    assert_refused(await hostile.start("."), 400, "contraction_limit_reached")
    await bystander.next_command()

    await hostile.assert_intact()
    await bystander.labour.assert_intact()
    assert await readiness(http, worker) == 200
    same.check()
    print(f"1,000 contractions in {time.monotonic() - began:.0f} s; the bystander's {bystander.served} commands "
          f"each answered within {bystander.slowest:.2f} s")  # fmt: skip


async def test_a_note_too_long_or_not_text_is_refused_on_its_own_and_changes_nothing(person: MakeCaller) -> None:
    hostile = await in_labour(person, "Hana", "Hostile")
    invalid = await hostile.start("x" * (NOTE_BYTES + 1))  # longer than the body's 2,000 characters
    assert (invalid.status, invalid.body["code"]) == (422, "validation_error"), invalid.body
    assert_refused(await hostile.start(EMOJI_NOTE + "🤰"), 422, "note_too_long")  # 501 characters, 2,004 bytes
    assert_refused(await hostile.start("é" * NOTE_BYTES), 422, "note_too_long")  # 2,000 characters, 4,000 bytes
    for control in ("\x1b[2J", "\x07", "\x7f", "\u0085"):
        assert_refused(await hostile.start(f"before{control}after"), 422, "note_not_text")
    nul = await hostile.start("before\x00after")  # no request body may hold NUL
    assert (nul.status, nul.body["code"]) == (422, "validation_error"), nul.body
    assert (await hostile.start("tabs\tand\r\nline breaks\n")).status == 200
    assert_refused(await hostile.end("\x08"), 422, "note_not_text")
    assert (await hostile.end()).status == 200
    await hostile.assert_intact()
    assert hostile.kept == ["tabs\tand\r\nline breaks\n"]


async def test_a_command_whose_record_would_not_fit_in_a_kafka_message_is_refused_and_the_worker_goes_on(
    small_messages: Deployment, http: aiohttp.ClientSession
) -> None:
    worker = small_messages.worker
    same = SameProcess(worker)
    make = small_messages.callers(http)
    hostile = await in_labour(make, "Hana", "Hostile")
    bystander = Bystander(await in_labour(make, "Bea", "Bystander"))

    refused = await notes_until_refused(hostile, PROSE_NOTE, bystander)
    assert_refused(refused, 422, "record_too_large")
    assert 0 < len(hostile.kept) < 4, "8 KiB holds a few notes of 2,000 bytes, and no more"
    assert not hostile.active
    same.check()
    assert await readiness(http, worker) == 200

    other = await in_labour(make, "Olu", "Other")  # the next command of someone else
    assert (await other.start(PROSE_NOTE)).status == 200
    await bystander.next_command()
    # What is kept stays; a small command of the same person still fits.
    await hostile.assert_intact()
    assert (await hostile.start()).status == 200
    assert (await hostile.end()).status == 200
    await hostile.assert_intact()
    same.check()
