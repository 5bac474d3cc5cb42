"""The API's views through its ports: commands sent and states read with stand-ins for the worker, no Faust app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from yarl import URL

from labour_tracker.domain.labour import BirthingPerson, LabourPlan
from labour_tracker.http.server import create_api
from labour_tracker.identity.local_key import issue_local_token, load_or_create_local_key
from labour_tracker.messages.envelopes import ErrorBody
from labour_tracker.settings import Settings
from tests.fakes.ports import FakeAggregates, FakeCommandBus

ANN = BirthingPerson("ann", "Ann", "Ash", None, (), frozenset(), 0)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(local_signing_key=tmp_path / "key.pem", oidc_issuer=None)


def bearer(settings: Settings, sub: str = "ann") -> dict[str, str]:
    key = load_or_create_local_key(settings.local_signing_key)
    token = issue_local_token(key, audience=settings.oidc_audience, sub=sub, given_name="Ann", family_name="Ash")
    return {"Authorization": f"Bearer {token}"}


async def api(settings: Settings, bus: Any, aggregates: Any) -> TestClient[web.Request, web.Application]:
    client = TestClient(TestServer(create_api(settings, bus, aggregates)))
    await client.start_server()
    return client


@pytest.fixture
async def clients() -> AsyncIterator[list[TestClient[web.Request, web.Application]]]:
    started: list[TestClient[web.Request, web.Application]] = []
    yield started
    for each in started:
        await each.close()


async def test_registering_sends_the_command_with_the_names_from_the_token(settings: Settings, clients: Any) -> None:
    bus = FakeCommandBus(states={"ann": ANN})
    clients.append(client := await api(settings, bus, FakeAggregates()))

    answer = await client.post("/birthing-person/register", headers={**bearer(settings), "Idempotency-Key": "k-1"})

    assert answer.status == 201
    assert (await answer.json())["birthing_person"]["first_name"] == "Ann"
    [(aggregate, envelope)] = bus.sent
    assert (aggregate, envelope.id, envelope.type, envelope.aggregate_id, envelope.data) == (
        "birthing_person",
        "k-1",
        "birthing_person.register",
        "ann",
        {"first_name": "Ann", "last_name": "Ash"},
    )


async def test_a_refused_command_answers_with_its_status_and_code(settings: Settings, clients: Any) -> None:
    refusal = ErrorBody(kind="not_found", code="birthing_person_not_found", description="Not registered.")
    clients.append(client := await api(settings, FakeCommandBus(rejection=refusal), FakeAggregates()))

    answer = await client.post("/labour/begin", json={"first_labour": True}, headers=bearer(settings))

    assert answer.status == 404
    assert (await answer.json())["code"] == "birthing_person_not_found"


async def test_a_body_that_is_not_valid_sends_no_command(settings: Settings, clients: Any) -> None:
    bus = FakeCommandBus()
    clients.append(client := await api(settings, bus, FakeAggregates()))

    answer = await client.post("/labour/contraction/start", json={"intensity": "high"}, headers=bearer(settings))

    assert (answer.status, (await answer.json())["code"]) == (422, "validation_error")
    assert bus.sent == []


async def test_a_person_is_read_where_they_are_held(settings: Settings, clients: Any) -> None:
    clients.append(client := await api(settings, FakeCommandBus(), FakeAggregates({"ann": ANN})))

    found = await client.get("/birthing-person/", headers=bearer(settings))
    missing = await client.get("/birthing-person/", headers=bearer(settings, "bob"))

    assert (found.status, (await found.json())["birthing_person"]["id"]) == (200, "ann")
    assert (missing.status, (await missing.json())["code"]) == (404, "birthing_person_not_found")


async def test_a_read_held_by_another_worker_is_answered_by_it(settings: Settings, clients: Any) -> None:
    asked: list[tuple[str, str | None]] = []

    async def owner_answers(request: web.Request) -> web.Response:
        asked.append((request.path, request.headers.get("X-Labour-Tracker-Forwarded")))
        return web.json_response({"from": "the owner"}, status=200)

    owner = web.Application()
    owner.router.add_get("/birthing-person/", owner_answers)
    clients.append(owning := TestClient(TestServer(owner)))
    await owning.start_server()
    elsewhere = URL(str(owning.make_url("/")))
    clients.append(client := await api(settings, FakeCommandBus(), FakeAggregates(elsewhere=elsewhere)))

    answer = await client.get("/birthing-person/", headers=bearer(settings))

    assert (answer.status, await answer.json()) == (200, {"from": "the owner"})
    assert asked == [("/birthing-person/", "1")]


async def test_a_command_whose_view_reads_first_is_sent_on_to_the_owner_as_it_came(
    settings: Settings, clients: Any
) -> None:
    asked: list[tuple[str, str, str | None, bytes]] = []

    async def owner_answers(request: web.Request) -> web.Response:
        asked.append((request.method, request.path, request.headers.get("Idempotency-Key"), await request.read()))
        return web.json_response({"from": "the owner"}, status=202)

    owner = web.Application()
    owner.router.add_post("/birthing-person/notifications/{notification_id}/resend", owner_answers)
    owner.router.add_delete("/birthing-person/labours/{labour_id}", owner_answers)
    clients.append(owning := TestClient(TestServer(owner)))
    await owning.start_server()
    elsewhere = URL(str(owning.make_url("/")))
    clients.append(client := await api(settings, FakeCommandBus(), FakeAggregates(elsewhere=elsewhere)))
    resend = "/birthing-person/notifications/6bde03fc-403a-4281-9fb7-9895133b00c4/resend"

    resent = await client.post(resend, headers={**bearer(settings), "Idempotency-Key": "r-1"})
    deleted = await client.delete("/birthing-person/labours/l-1", headers=bearer(settings))

    assert [(each.status, await each.json()) for each in (resent, deleted)] == [(202, {"from": "the owner"})] * 2
    assert asked == [("POST", resend, "r-1", b""), ("DELETE", "/birthing-person/labours/l-1", None, b"")]


async def test_a_read_no_worker_holds_yet_asks_to_try_again(settings: Settings, clients: Any) -> None:
    clients.append(client := await api(settings, FakeCommandBus(), FakeAggregates(owned=False)))

    answer = await client.get("/birthing-person/", headers=bearer(settings))

    assert (answer.status, (await answer.json())["code"]) == (503, "not_ready")


PLANNED = replace(ANN, plan=LabourPlan("labour-1", date(2025, 4, 2), True, "Baby Ash"))


async def test_planning_sends_the_plan_and_answers_it_as_planned(settings: Settings, clients: Any) -> None:
    bus = FakeCommandBus(states={"ann": PLANNED})
    clients.append(client := await api(settings, bus, FakeAggregates()))

    body = {"due_date": "2025-04-02", "first_labour": True, "name": "Baby Ash"}
    answer = await client.post("/labour/plan", json=body, headers=bearer(settings))

    assert answer.status == 200
    assert (await answer.json())["plan"] == {
        "id": "labour-1",
        "due_date": "2025-04-02",
        "first_labour": True,
        "name": "Baby Ash",
        "phase": "planned",
    }
    [(_, envelope)] = bus.sent
    assert (envelope.type, envelope.data) == ("labour.plan", body)


async def test_a_plan_with_a_name_too_long_or_no_date_sends_no_command(settings: Settings, clients: Any) -> None:
    bus = FakeCommandBus()
    clients.append(client := await api(settings, bus, FakeAggregates()))

    too_long = {"due_date": "2025-04-02", "first_labour": True, "name": "x" * 101}
    no_date = {"first_labour": True}
    answers = [await client.post("/labour/plan", json=each, headers=bearer(settings)) for each in (too_long, no_date)]

    assert [(each.status, (await each.json())["code"]) for each in answers] == [(422, "validation_error")] * 2
    assert bus.sent == []


async def test_the_plan_is_read_in_the_record_and_on_its_own(settings: Settings, clients: Any) -> None:
    clients.append(client := await api(settings, FakeCommandBus(), FakeAggregates({"ann": PLANNED, "bob": ANN})))

    record = await (await client.get("/birthing-person/", headers=bearer(settings))).json()
    found = await client.get("/labour/planned", headers=bearer(settings))
    missing = await client.get("/labour/planned", headers=bearer(settings, "bob"))

    assert record["birthing_person"]["plan"]["phase"] == "planned"
    assert (found.status, (await found.json())["plan"]["id"]) == (200, "labour-1")
    assert (missing.status, (await missing.json())["code"]) == (404, "labour_not_found")


async def test_cancelling_the_plan_sends_the_command_and_answers_no_content(settings: Settings, clients: Any) -> None:
    bus = FakeCommandBus(states={"ann": ANN})
    clients.append(client := await api(settings, bus, FakeAggregates()))

    answer = await client.delete("/labour/plan", headers=bearer(settings))

    assert answer.status == 204
    [(_, envelope)] = bus.sent
    assert envelope.type == "labour.cancel_plan"


async def test_beginning_without_first_labour_is_sent_for_the_plan_to_say(settings: Settings, clients: Any) -> None:
    refusal = ErrorBody(kind="unprocessable", code="first_labour_required", description="Say whether.")
    bus = FakeCommandBus(rejection=refusal)
    clients.append(client := await api(settings, bus, FakeAggregates()))

    answer = await client.post("/labour/begin", json={}, headers=bearer(settings))

    assert (answer.status, (await answer.json())["code"]) == (422, "first_labour_required")
    [(_, envelope)] = bus.sent
    assert envelope.data == {}  # nothing given: the plan says
