"""A labour followed live on two workers sharing the partitions: a follower on one worker sees a contraction recorded
through the other within a second; a reconnect with Last-Event-ID misses nothing; a removed or blocked follower's
stream ends, and every stream of an erased person; no stream opens without a valid ticket (none, forged, expired, or
used before on the other worker); the person sees their private note and its deletion live and a follower sees
neither; a quiet stream has heartbeats."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from labour_tracker.devstack.kafka import KafkaBroker
from labour_tracker.devstack.postgres import PostgresCluster
from labour_tracker.devstack.worker import WorkerProcess
from labour_tracker.live.tickets import TicketSigner
from tests.support.api import Caller, MakeCaller, caller_factory
from tests.support.live import LiveStream, open_stream, ticket
from tests.support.notifications import follower, labour_with_followers, ok
from tests.support.stack import Stack, new_stack, ready, side_by_side

HEARTBEAT = 0.5  # seconds, the workers' LABOUR_TRACKER_LIVE_HEARTBEAT here


@pytest.fixture(scope="module")
def two_live_workers(kafka: KafkaBroker, postgres: PostgresCluster) -> Iterator[tuple[Stack, list[WorkerProcess]]]:
    stack = new_stack(
        kafka, postgres, LABOUR_TRACKER_TOPIC_PARTITIONS="6", LABOUR_TRACKER_LIVE_HEARTBEAT=str(HEARTBEAT)
    )
    with side_by_side(stack, "live-first", "live-second") as workers:
        yield stack, workers


@pytest.fixture
async def session(two_live_workers: tuple[Stack, list[WorkerProcess]]) -> AsyncIterator[aiohttp.ClientSession]:
    """Once both workers are ready (their live feeds follow); closing it closes every stream the test opened."""
    _, workers = two_live_workers
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        async with asyncio.timeout(60):
            while not all([await ready(http, each) for each in workers]):  # noqa: ASYNC110 (polls HTTP)
                await asyncio.sleep(0.2)
        yield http


@pytest.fixture
def on(two_live_workers: tuple[Stack, list[WorkerProcess]], session: aiohttp.ClientSession) -> list[MakeCaller]:
    stack, workers = two_live_workers
    return [caller_factory(stack, session, each.url) for each in workers]


async def bea_followed_by_sam(on: list[MakeCaller]) -> tuple[Caller, Caller]:
    """Bea in labour, Sam following her (through the shared helpers), both calling the first worker."""
    sam = await follower(on[0], "Sam", "email")
    bea = await labour_with_followers(on[0], [sam])
    await ok(bea.post("/labour/begin", {"first_labour": True}))
    return bea, sam.caller


def through(caller: Caller, worker: WorkerProcess) -> Caller:
    """The same user, calling another worker."""
    return Caller(caller.session, worker.url, caller.token, caller.id)


async def following(
    session: aiohttp.ClientSession, worker: WorkerProcess, reader: Caller, person_id: str, *, last: int | None = None
) -> LiveStream:
    status, stream = await open_stream(session, worker.url, person_id, await ticket(reader, person_id),
                                       last_event_id=last)  # fmt: skip
    assert status == 200, stream
    return stream  # type: ignore[no-any-return]


async def test_a_follower_on_one_worker_sees_a_contraction_recorded_through_the_other_within_a_second(
    two_live_workers: tuple[Stack, list[WorkerProcess]], session: aiohttp.ClientSession, on: list[MakeCaller]
) -> None:
    _, (first, second) = two_live_workers
    bea, sam = await bea_followed_by_sam(on)
    for sam_on, bea_through in ((second, first), (first, second)):
        sams = await following(session, sam_on, sam, bea.id)
        bea_herself = await following(session, bea_through, bea, bea.id)
        snapshot = await sams.until("snapshot")
        assert snapshot.data["labour"]["contractions"] is not None

        started = await through(bea, bea_through).post("/labour/contraction/start", {"intensity": 6})
        answered = time.monotonic()
        assert started.status == 200, started.body
        seen = await sams.until("contraction", type="contraction.started")
        assert seen.at - answered < 1.0, f"{seen.at - answered:.3f} s from the answer to the follower's event"
        assert seen.id is not None and seen.id > (snapshot.id or 0)
        assert seen.data["contraction"]["intensity"] == 6
        assert (await bea_herself.until("contraction", type="contraction.started")).id == seen.id

        ended = await through(bea, bea_through).put("/labour/contraction/end", {"intensity": 7})
        answered = time.monotonic()
        assert ended.status == 200, ended.body
        seen = await sams.until("contraction", type="contraction.ended")
        assert seen.at - answered < 1.0, f"{seen.at - answered:.3f} s from the answer to the follower's event"
        assert seen.data["summary"]["contraction_count"] >= 1
        sams.close()
        bea_herself.close()


async def test_a_follower_who_reconnects_with_the_last_event_id_misses_nothing(
    two_live_workers: tuple[Stack, list[WorkerProcess]], session: aiohttp.ClientSession, on: list[MakeCaller]
) -> None:
    _, (first, second) = two_live_workers
    bea, sam = await bea_followed_by_sam(on)
    sams = await following(session, second, sam, bea.id)
    last = (await sams.until("snapshot")).id
    sams.close()

    recorded = []
    for n in range(3):  # while Sam is away
        started = await ok(through(bea, first).post("/labour/contraction/start", {"intensity": 5, "notes": f"{n}"}))
        recorded.append(started["labour"]["contractions"][-1]["id"])
        await ok(through(bea, first).put("/labour/contraction/end", {"intensity": 5}))
    await asyncio.sleep(0.5)  # the second worker's feed has them

    back = await following(session, second, sam, bea.id, last=last)
    caught_up = [await back.next() for _ in range(6)]
    assert [each.name for each in caught_up if each] == ["contraction"] * 6, "what was missed, not a snapshot"
    ids = [each.id for each in caught_up if each]
    assert ids == sorted(ids) and ids[0] == (last or 0) + 1
    assert {each.data["contraction_id"] for each in caught_up if each} == set(recorded)

    # Through the other worker, which has them too; and from a version it cannot account for, a snapshot.
    again = await following(session, first, sam, bea.id, last=last)
    assert {(await again.next()).data["contraction_id"] for _ in range(6)} == set(recorded)  # type: ignore[union-attr]
    behind = await following(session, first, sam, bea.id, last=ids[-1] + 100)
    snapshot = await behind.next()
    assert snapshot is not None and snapshot.name == "snapshot" and snapshot.id == ids[-1]
    assert {each["id"] for each in snapshot.data["labour"]["contractions"]} == set(recorded)


async def test_a_removed_followers_stream_ends_and_closes_at_once(
    two_live_workers: tuple[Stack, list[WorkerProcess]], session: aiohttp.ClientSession, on: list[MakeCaller]
) -> None:
    _, (first, second) = two_live_workers
    bea, sam = await bea_followed_by_sam(on)
    sams = await following(session, second, sam, bea.id)
    await sams.until("snapshot")
    await ok(through(bea, first).delete(f"/birthing-person/subscribers/{sam.id}"))
    end = await sams.until("end")
    assert end.data == {"reason": "cut_off"}
    assert await sams.next(within=5) is None and sams.closed

    status, refused = await open_stream(session, second.url, bea.id, await ticket(sam, bea.id))
    assert (status, refused["code"]) == (403, "not_subscribed")


async def test_a_blocked_followers_stream_ends_and_the_persons_erasure_ends_every_stream(
    two_live_workers: tuple[Stack, list[WorkerProcess]], session: aiohttp.ClientSession, on: list[MakeCaller]
) -> None:
    _, (first, second) = two_live_workers
    kim = await follower(on[1], "Kim", "email")
    sam = await follower(on[0], "Sam", "email")
    bea = await labour_with_followers(on[0], [sam, kim])
    kims = await following(session, first, kim.caller, bea.id)
    sams = await following(session, second, sam.caller, bea.id)
    bea_herself = await following(session, first, bea, bea.id)
    for each in (kims, sams, bea_herself):
        await each.until("snapshot")

    await ok(through(bea, second).put(f"/birthing-person/blocked/{kim.caller.id}"))
    assert (await kims.until("end")).data == {"reason": "cut_off"}
    assert await kims.next(within=5) is None

    assert (await through(bea, first).delete("/birthing-person/")).status == 204
    for each in (sams, bea_herself):
        assert (await each.until("end")).data == {"reason": "erased"}
        assert await each.next(within=5) is None


async def test_no_stream_opens_without_a_valid_ticket(
    two_live_workers: tuple[Stack, list[WorkerProcess]], session: aiohttp.ClientSession, on: list[MakeCaller]
) -> None:
    stack, (first, second) = two_live_workers
    bea, sam = await bea_followed_by_sam(on)
    signer = TicketSigner(stack.env["LABOUR_TRACKER_SUBSCRIPTION_TOKEN_SECRET"].encode())
    forged = TicketSigner(b"not-the-service-secret-at-all-0000000").issue(sam.id, bea.id, datetime.now(UTC))
    expired = signer.issue(sam.id, bea.id, datetime.now(UTC) - timedelta(seconds=61))
    for shown, code in ((None, "ticket_required"), (forged, "invalid_ticket"), (expired, "ticket_expired")):
        status, refused = await open_stream(session, first.url, bea.id, shown)
        assert (status, refused["code"]) == (401, code)

    once = await ticket(sam, bea.id)
    status, _ = await open_stream(session, first.url, bea.id, once)
    assert status == 200
    status, refused = await open_stream(session, second.url, bea.id, once)
    assert (status, refused["code"]) == (401, "ticket_used"), "used on the other worker"

    stranger = on[1]("Tom", "Stranger")
    status, refused = await open_stream(session, second.url, bea.id, await ticket(stranger, bea.id))
    assert (status, refused["code"]) == (403, "not_subscribed")


async def test_the_person_sees_their_private_note_and_its_deletion_live_and_a_follower_sees_neither(
    two_live_workers: tuple[Stack, list[WorkerProcess]], session: aiohttp.ClientSession, on: list[MakeCaller]
) -> None:
    _, (first, second) = two_live_workers
    bea, sam = await bea_followed_by_sam(on)
    sams = await following(session, first, sam, bea.id)
    bea_herself = await following(session, second, bea, bea.id)
    await sams.until("snapshot")
    await bea_herself.until("snapshot")

    await ok(through(bea, second).post("/labour/updates", {"kind": "private_note", "message": "for me alone"}))
    await ok(through(bea, first).post("/labour/updates", {"kind": "status_update", "message": "all well"}))

    hers = [await bea_herself.until("update") for _ in range(2)]
    assert [each.data["update"]["message"] for each in hers] == ["for me alone", "all well"]
    seen = await sams.until("update")
    assert seen.data["update"]["message"] == "all well", "the private note came first, and was not shown"
    assert seen.id == hers[1].id

    for each in hers:  # the note first: a follower must not learn it was there
        await ok(through(bea, first).delete(f"/labour/updates/{each.data['update_id']}"))
    deleted = [await bea_herself.until("update") for _ in range(2)]
    assert [(each.data["update_id"], each.data["update"]) for each in deleted] == [
        (each.data["update_id"], None) for each in hers
    ]
    seen = await sams.until("update")
    assert (seen.id, seen.data["update_id"]) == (deleted[1].id, hers[1].data["update_id"])


async def test_a_quiet_stream_has_heartbeats(
    two_live_workers: tuple[Stack, list[WorkerProcess]], session: aiohttp.ClientSession, on: list[MakeCaller]
) -> None:
    _, (_, second) = two_live_workers
    bea, _ = await bea_followed_by_sam(on)
    quiet = await following(session, second, bea, bea.id)
    await quiet.until("snapshot")
    with pytest.raises(TimeoutError):
        await quiet.next(within=4 * HEARTBEAT)  # no event comes
    assert quiet.heartbeats >= 2
