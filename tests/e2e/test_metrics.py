"""A running worker serves its Prometheus metrics without a token: the commands it applied, the API's latency
and the lag of the partitions it consumes."""

from __future__ import annotations

import asyncio

import aiohttp

from labour_tracker.devstack.worker import WorkerProcess
from tests.support.api import MakeCaller
from tests.support.stack import scrape


def value(samples: dict[str, list[tuple[dict[str, str], float]]], name: str, **labels: str) -> float:
    return sum(v for found, v in samples.get(name, []) if labels.items() <= found.items())


async def test_commands_requests_and_consumer_lag_are_measured(
    person: MakeCaller, worker: WorkerProcess, http: aiohttp.ClientSession
) -> None:
    before = await scrape(http, worker)
    alice = person()
    assert (await alice.post("/birthing-person/register")).status == 201
    assert (await alice.post("/birthing-person/register")).status == 409
    after = await scrape(http, worker)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    register = {"aggregate": "birthing_person", "type": "birthing_person.register"}
    assert grew("labour_tracker_commands_total", **register, status="accepted", code="") == 1
    assert (
        grew("labour_tracker_commands_total", **register, status="rejected", code="birthing_person_already_registered")
        == 1
    )
    assert grew("labour_tracker_command_duration_seconds_count", aggregate="birthing_person") == 2
    route = {"method": "POST", "route": "/api/v1/birthing-person/register"}
    assert grew("labour_tracker_http_request_duration_seconds_count", **route, status="201") == 1
    assert grew("labour_tracker_http_request_duration_seconds_count", **route, status="409") == 1
    # Offsets are committed every few seconds; until then a partition has nothing to measure lag from.
    for _ in range(100):
        lag = (await scrape(http, worker)).get("labour_tracker_consumer_lag", [])
        if any(labels["topic"].endswith(".birthing_person.commands") for labels, _ in lag):
            break
        await asyncio.sleep(0.1)
    assert any(labels["topic"].endswith(".birthing_person.commands") for labels, _ in lag)
    assert all(behind >= 0 for _, behind in lag)


async def test_the_mirror_reports_its_lag_once_a_change_is_in_postgresql(
    person: MakeCaller, worker: WorkerProcess, http: aiohttp.ClientSession
) -> None:
    before = value(await scrape(http, worker), "labour_tracker_mirror_lag_seconds_count")
    assert (await person().post("/birthing-person/register")).status == 201
    for _ in range(100):
        after = value(await scrape(http, worker), "labour_tracker_mirror_lag_seconds_count")
        if after > before:
            break
        await asyncio.sleep(0.1)
    assert after > before
