"""Metrics: commands counted by outcome with closed label sets, requests timed by route template, consumer lag
read from the consumer at scrape time, and docs/operations.md naming every metric there is."""

from __future__ import annotations

import asyncio
import gc
import re
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Literal

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from faust.types import TP
from prometheus_client.parser import text_string_to_metric_families

from labour_tracker.engine.handler import Handled
from labour_tracker.http.metrics import timed_requests
from labour_tracker.messages.envelopes import ErrorBody, Outcome
from labour_tracker.messages.reply import Reply
from labour_tracker.metrics import REGISTRY, ConsumerLag, timed_command
from labour_tracker.probes import metrics as metrics_view

OPERATIONS_DOCS = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def reply(status: Literal["accepted", "rejected"], command_type: str | None, code: str | None = None) -> Handled[Any]:
    error = ErrorBody(code=code, kind="domain", description="…") if code else None
    outcome = Outcome(
        command_id="c-1", command_type=command_type, aggregate_id="alice", status=status, version=None, error=error,
        time=datetime.now(UTC),
    )  # fmt: skip
    return Handled(Reply(outcome, None))


async def answered(value: Handled[Any]) -> Handled[Any]:
    await asyncio.sleep(0)
    return value


async def test_commands_are_counted_by_aggregate_type_and_outcome_and_timed() -> None:
    known = {"labour.begin", "contraction.start"}
    accepted = {"aggregate": "test_person", "type": "labour.begin", "status": "accepted", "code": ""}
    rejected = {"aggregate": "test_person", "type": "contraction.start", "status": "rejected", "code": "no_labour"}
    before = sample("labour_tracker_command_duration_seconds_count", aggregate="test_person", status="accepted")

    answer = reply("accepted", "labour.begin")
    assert await timed_command("test_person", known, answered(answer)) is answer
    await timed_command("test_person", known, answered(reply("accepted", "labour.begin")))
    await timed_command("test_person", known, answered(reply("rejected", "contraction.start", "no_labour")))

    assert sample("labour_tracker_commands_total", **accepted) == 2
    assert sample("labour_tracker_commands_total", **rejected) == 1
    after = sample("labour_tracker_command_duration_seconds_count", aggregate="test_person", status="accepted")
    assert after - before == 2


async def test_a_command_type_nobody_knows_does_not_become_a_label_value() -> None:
    await timed_command("test_other", {"labour.begin"}, answered(reply("rejected", "x" * 200, "unknown_command")))
    await timed_command("test_other", {"labour.begin"}, answered(reply("rejected", None, "malformed_command")))
    unknown = {"aggregate": "test_other", "type": "unknown", "status": "rejected"}
    assert sample("labour_tracker_commands_total", **unknown, code="unknown_command") == 1
    assert sample("labour_tracker_commands_total", **unknown, code="malformed_command") == 1


class FakeConsumer:
    def __init__(self) -> None:
        self.ends = {TP("t.commands", 0): 120, TP("t.commands", 1): 7, TP("t.events", 0): 50, TP("t.new", 0): 3}
        self._committed_offset: dict[TP, int | None] = {
            TP("t.commands", 0): 100,
            TP("t.commands", 1): 7,
            TP("t.events", 0): 45,
            TP("t.new", 0): None,  # nothing committed yet
        }

    def assignment(self) -> set[TP]:
        return {*self.ends, TP("t.moving", 0)}

    def highwater(self, tp: TP) -> int:
        return self.ends[tp]  # KeyError for t.moving: a partition being revoked


def test_consumer_lag_is_end_minus_committed_per_partition_read_when_scraped() -> None:
    consumer = FakeConsumer()
    lag = ConsumerLag(SimpleNamespace(_consumer=consumer))
    assert lag.partitions() == [("t.commands", 0, 20), ("t.commands", 1, 0), ("t.events", 0, 5)]
    consumer.ends[TP("t.commands", 0)] = 130
    (family,) = lag.collect()
    values = {(s.labels["topic"], s.labels["partition"]): s.value for s in family.samples}
    assert values == {("t.commands", "0"): 30, ("t.commands", "1"): 0, ("t.events", "0"): 5}


def test_no_consumer_yet_means_no_lag_series() -> None:
    assert ConsumerLag(SimpleNamespace(_consumer=None)).partitions() == []


async def test_requests_are_timed_by_route_template_and_status_and_metrics_are_served() -> None:
    async def item(request: web.Request) -> web.Response:
        if request.match_info["id"] == "gone":
            raise web.HTTPGone()
        return web.json_response({})

    async def broken(request: web.Request) -> web.Response:
        raise RuntimeError("bug")

    app = web.Application(middlewares=[timed_requests])
    app.router.add_get("/test-items/{id}", item)
    app.router.add_get("/test-broken", broken)
    app.router.add_get("/metrics", metrics_view)
    async with TestClient(TestServer(app)) as client:
        for path in ("/test-items/1", "/test-items/2", "/test-items/gone", "/test-broken", "/no-such-path"):
            (await client.get(path)).close()
        scraped = await client.get("/metrics")
        assert scraped.status == 200 and scraped.headers["Content-Type"].startswith("text/plain")
        text = await scraped.text()

    def count(route: str, status: str) -> float:
        labels = {"method": "GET", "route": route, "status": status}
        return sample("labour_tracker_http_request_duration_seconds_count", **labels)

    assert count("/test-items/{id}", "200") == 2
    assert count("/test-items/{id}", "410") == 1
    assert count("/test-broken", "500") == 1
    assert count("unmatched", "404") >= 1
    families = {family.name for family in text_string_to_metric_families(text)}
    assert {"labour_tracker_http_request_duration_seconds", "labour_tracker_commands", "process_cpu_seconds"} <= (
        families
    )


def test_operations_docs_list_every_metric_and_no_other() -> None:
    ours = {
        family.name + ("_total" if family.type == "counter" else "")
        for family in (*REGISTRY.collect(), *ConsumerLag(SimpleNamespace(_consumer=None)).collect())
        if family.name.startswith("labour_tracker_")
    }
    documented = set(re.findall(r"^\| `(labour_tracker_[a-z_]+)` \|", OPERATIONS_DOCS.read_text(), re.M))
    assert ours == documented


def test_each_garbage_collection_is_timed_by_generation() -> None:
    def collections(generation: str) -> float:
        return REGISTRY.get_sample_value("labour_tracker_gc_pause_seconds_count", {"generation": generation}) or 0.0

    before = collections("2")
    gc.collect()
    assert collections("2") >= before + 1  # the interpreter may have collected on its own meanwhile
