"""The live views through the API's ports, no worker: tickets issued to a bearer, streams refused without a good
ticket (before anything is read), and the snapshot a worker reads from the person's owner, filtered for followers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from labour_tracker.domain.labour import PostLabourUpdate, UpdateKind
from labour_tracker.http.keys import LIVE
from labour_tracker.http.live import PASS_HEADER, last_event_id_of
from labour_tracker.http.server import API_PREFIX, create_api
from labour_tracker.identity.local_key import issue_local_token, load_or_create_local_key
from labour_tracker.live.parts import hub_of
from labour_tracker.live.tickets import TicketSigner
from labour_tracker.settings import Settings
from tests.fakes.ports import FakeAggregates, FakeCommandBus
from tests.unit.domain.labour_story import ALICE, in_labour


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(local_signing_key=tmp_path / "key.pem", oidc_issuer=None)


def bearer(settings: Settings, sub: str) -> dict[str, str]:
    key = load_or_create_local_key(settings.local_signing_key)
    token = issue_local_token(key, audience=settings.oidc_audience, sub=sub, given_name="Sam", family_name="Lee")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[tuple[TestClient[web.Request, web.Application], FakeAggregates]]:
    story = in_labour()
    story.follows("sam")
    story.do(PostLabourUpdate(kind=UpdateKind.PRIVATE_NOTE, message="for me alone"))
    story.do(PostLabourUpdate(kind=UpdateKind.STATUS_UPDATE, message="all well"))
    aggregates = FakeAggregates({ALICE: story.person})
    aggregates.versions[ALICE] = 5
    hub = hub_of(settings)
    hub.following = True  # as a worker's feed has it once it reads every partition
    root = web.Application()  # mounted where the worker mounts it: the public paths are named with the prefix
    root.add_subapp(API_PREFIX, create_api(settings, FakeCommandBus(), aggregates, live=hub))
    client = TestClient(TestServer(root))
    await client.start_server()
    yield client, aggregates
    await client.close()


def signer(settings: Settings) -> TicketSigner:
    return TicketSigner(settings.subscription_token_secret.encode())


async def test_a_ticket_is_issued_for_ones_own_labour_or_a_named_persons_with_the_path_to_open(
    settings: Settings, api: Any
) -> None:
    client, _ = api
    own = await client.post("/api/v1/live/tickets", headers=bearer(settings, ALICE))
    assert own.status == 201
    body = await own.json()
    assert body["stream"] == f"/api/v1/live/birthing-person/{ALICE}?ticket={body['ticket']}"
    named = await (await client.post("/api/v1/live/tickets", json={"birthing_person_id": ALICE},
                                     headers=bearer(settings, "sam"))).json()  # fmt: skip
    assert signer(settings).read(named["ticket"], ALICE, datetime.now(UTC)).user_id == "sam"
    assert (await client.post("/api/v1/live/tickets")).status == 401, "a ticket needs a bearer token"


@pytest.mark.parametrize(
    ("ticket", "code"),
    [
        (None, "ticket_required"),
        ("forged.ticket", "invalid_ticket"),
        ("for another person", "invalid_ticket"),
        ("expired", "ticket_expired"),
    ],
)
async def test_a_stream_without_a_good_ticket_is_refused_with_its_code(
    settings: Settings, api: Any, ticket: str | None, code: str
) -> None:
    client, _ = api
    issued = {
        "for another person": signer(settings).issue("sam", "someone-else", datetime.now(UTC)),
        "expired": signer(settings).issue("sam", ALICE, datetime.now(UTC) - timedelta(minutes=2)),
    }
    query = {} if ticket is None else {"ticket": issued.get(ticket, ticket)}
    refused = await client.get(f"/api/v1/live/birthing-person/{ALICE}", params=query)
    assert (refused.status, (await refused.json())["code"]) == (401, code)


async def test_a_followers_snapshot_shows_the_labour_without_the_private_note_and_the_persons_with_it(
    settings: Settings, api: Any
) -> None:
    client, _ = api

    async def snapshot(reader: str) -> Any:
        granted = signer(settings).issue(reader, ALICE, datetime.now(UTC), purpose="snapshot")
        answer = await client.get(f"/api/v1/live/birthing-person/{ALICE}/snapshot", headers={PASS_HEADER: granted})
        return answer.status, await answer.json()

    status, followers = await snapshot("sam")
    assert (status, followers["version"]) == (200, 5)
    assert [each["message"] for each in followers["labour"]["updates"]] == ["all well"]
    _, hers = await snapshot(ALICE)
    assert [each["message"] for each in hers["labour"]["updates"]] == ["for me alone", "all well"]
    status, stranger = await snapshot("tom")
    assert (status, stranger["code"]) == (403, "not_subscribed")


async def test_a_snapshot_without_a_workers_pass_is_refused(settings: Settings, api: Any) -> None:
    client, _ = api
    stream_ticket = signer(settings).issue("sam", ALICE, datetime.now(UTC))
    for shown in ({}, {PASS_HEADER: stream_ticket}):
        refused = await client.get(f"/api/v1/live/birthing-person/{ALICE}/snapshot", headers=shown)
        assert (refused.status, (await refused.json())["code"]) == (401, "invalid_ticket")


async def test_no_stream_opens_while_the_workers_feed_is_starting_and_the_ticket_is_not_spent(
    settings: Settings, api: Any
) -> None:
    client, _ = api
    hub = client.server.app._subapps[0][LIVE].hub
    hub.following = False
    shown = signer(settings).issue("sam", ALICE, datetime.now(UTC))
    refused = await client.get(f"/api/v1/live/birthing-person/{ALICE}", params={"ticket": shown})
    assert (refused.status, (await refused.json())["code"], refused.headers["Retry-After"]) == (
        503,
        "live_not_ready",
        "1",
    )


@pytest.mark.parametrize("last_event_id", ["²", "-1", "1" * 40, "abc"])
async def test_a_last_event_id_that_is_no_version_is_ignored_not_an_error(last_event_id: str) -> None:
    request: Any = type("Request", (), {"headers": {"Last-Event-ID": last_event_id}, "query": {}})()
    assert last_event_id_of(request) is None
