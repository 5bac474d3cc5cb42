"""Faust's introspection pages on a running worker: an operator's token opens them, and a record's page shows its
ids and state with names, contact details and notes masked; a user's token is refused, and so is no token."""

from __future__ import annotations

import json

import aiohttp

from tests.support.api import MakeCaller
from tests.support.stack import Deployment
from tests.support.tokens import authorization, operator_authorization


async def test_a_persons_record_page_is_an_operators_and_masks_what_is_personal(
    deployment: Deployment, person: MakeCaller, http: aiohttp.ClientSession
) -> None:
    bea = person("Beatrice", "Okafor")
    assert (await bea.post("/birthing-person/register")).status == 201
    assert (await bea.post("/labour/begin", {"first_labour": True})).status == 200
    assert (await bea.post("/labour/contraction/start", {"notes": "back pain low down"})).status == 200
    page = f"{deployment.worker.url}/table/birthing_persons/{bea.id}/"

    async with http.get(page, headers=operator_authorization(deployment.stack.signing_key)) as answer:
        assert answer.status == 200
        shown = await answer.json()
    async with http.get(page, headers=authorization(bea.token)) as as_user:
        assert (as_user.status, (await as_user.json())["code"]) == (403, "operators_only")
    async with http.get(page) as as_anyone:
        assert as_anyone.status == 401

    assert (shown["state"]["id"], shown["version"], len(shown["processed"])) == (bea.id, 3, 3)
    assert shown["state"]["latest_labour"]["contractions"][0]["notes"] == "***"
    assert not [each for each in ("Beatrice", "Okafor", "back pain") if each in json.dumps(shown)]


async def test_a_subscribers_record_page_masks_their_contact_details(
    deployment: Deployment, person: MakeCaller, http: aiohttp.ClientSession
) -> None:
    kim = person("Kimberly", "Lee", email="kim.lee@example.org", phone_number="+447700900123")
    assert (await kim.post("/subscriber/register", {"contact_methods": ["sms", "email"]})).status == 201
    page = f"{deployment.worker.url}/table/subscribers/{kim.id}/"

    async with http.get(page, headers=operator_authorization(deployment.stack.signing_key)) as answer:
        assert answer.status == 200
        shown = await answer.json()

    assert (shown["state"]["id"], sorted(shown["state"]["contact_methods"])) == (kim.id, ["email", "sms"])
    assert not [each for each in ("Kimberly", "kim.lee", "+447700900123") if each in json.dumps(shown)]


async def test_an_unknown_key_is_not_found_for_an_operator(deployment: Deployment, http: aiohttp.ClientSession) -> None:
    page = f"{deployment.worker.url}/table/birthing_persons/nobody-here/"
    async with http.get(page, headers=operator_authorization(deployment.stack.signing_key)) as answer:
        assert (answer.status, (await answer.json())["code"]) == (404, "not_found")


async def test_the_routing_and_table_lists_are_an_operators(
    deployment: Deployment, http: aiohttp.ClientSession
) -> None:
    for path in ("/router/", "/table/", "/table/notifications/"):
        async with http.get(
            f"{deployment.worker.url}{path}", headers=operator_authorization(deployment.stack.signing_key)
        ) as answer:
            assert answer.status == 200, path
        async with http.get(f"{deployment.worker.url}{path}") as refused:
            assert refused.status == 401, path
