"""The heart of the product through a real worker: register, begin, time contractions, hospital alert, complete."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.support.api import MakeCaller, iso


async def test_a_first_labour_from_registration_to_completion_raises_the_311_hospital_alert(
    person: MakeCaller,
) -> None:
    alice = person("Alice", "Smith")
    registered = await alice.post("/birthing-person/register")
    assert registered.status == 201
    assert registered.body["birthing_person"]["first_name"] == "Alice"

    began_at = datetime.now(UTC) - timedelta(hours=2)
    begun = await alice.post("/labour/begin", {"first_labour": True, "start_time": iso(began_at)})
    assert begun.status == 200
    assert begun.body["labour"]["phase"] == "early"

    # 3-1-1: every 3 minutes, a minute long, for an hour (back-dated, so it is all in the past).
    start = began_at + timedelta(minutes=5)
    for _ in range(21):
        started = await alice.post("/labour/contraction/start", {"start_time": iso(start), "intensity": 7})
        assert started.status == 200, started.body
        ended = await alice.put(
            "/labour/contraction/end", {"end_time": iso(start + timedelta(seconds=70)), "intensity": 7}
        )
        assert ended.status == 200, ended.body
        start += timedelta(minutes=3)

    summary = await alice.get("/labour/active/summary")
    assert summary.status == 200
    assert summary.body["summary"]["hospital_recommended"] is True
    assert summary.body["summary"]["phase"] == "active"
    assert summary.body["summary"]["contraction_count"] == 21
    assert summary.body["summary"]["pattern"]["whole_labour"]["mean_frequency_seconds"] == 180.0

    active = await alice.get("/labour/active")
    assert len(active.body["labour"]["contractions"]) == 21

    completed = await alice.put("/labour/complete", {"notes": "A healthy baby"})
    assert completed.status == 200
    assert completed.body["labour"]["phase"] == "complete"
    assert completed.body["labour"]["end_time"] is not None
    assert (await alice.get("/labour/active")).status == 404


async def test_a_retried_command_with_the_same_idempotency_key_is_applied_once_and_answered_the_same(
    person: MakeCaller,
) -> None:
    bob = person("Bob", "Jones")
    await bob.post("/birthing-person/register")
    await bob.post("/labour/begin", {"first_labour": False})
    first = await bob.post("/labour/contraction/start", {"intensity": 4}, headers={"Idempotency-Key": "tap-1"})
    again = await bob.post("/labour/contraction/start", {"intensity": 4}, headers={"Idempotency-Key": "tap-1"})
    assert (first.status, again.status) == (200, 200)
    assert first.body == again.body
    assert len(again.body["labour"]["contractions"]) == 1

    other = await bob.post("/labour/contraction/start", {"intensity": 9}, headers={"Idempotency-Key": "tap-1"})
    assert (other.status, other.body["code"]) == (422, "idempotency_key_reused")
