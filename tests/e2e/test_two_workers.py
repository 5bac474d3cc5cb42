"""Two worker processes share the partitions: any request for anyone, sent to either worker, is answered right, and
an operator's page of any record opens on either (the other forwards it to the worker that holds it)."""

from __future__ import annotations

import asyncio
import random

import aiohttp

from labour_tracker.devstack.worker import WorkerProcess
from tests.support.api import Caller, caller_factory
from tests.support.stack import Stack, ready
from tests.support.tokens import operator_authorization

PERSONS = 24
CONTRACTIONS = 3


async def test_requests_for_many_persons_to_either_worker_all_get_the_right_answers(
    two_workers: tuple[Stack, list[WorkerProcess]],
) -> None:
    stack, workers = two_workers
    rng = random.Random(7)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        async with asyncio.timeout(60):  # both have joined and the partitions are settled
            while not all([await ready(session, each) for each in workers]):  # noqa: ASYNC110 (polls HTTP)
                await asyncio.sleep(0.2)
        on = [caller_factory(stack, session, each.url) for each in workers]
        ids = [f"twin-{n}" for n in range(PERSONS)]

        def anywhere(person_id: str) -> Caller:
            return rng.choice(on)(f"Person{person_id}", "Twin", user_id=person_id)

        async def story(person_id: str) -> None:
            assert (await anywhere(person_id).post("/birthing-person/register")).status == 201
            assert (await anywhere(person_id).post("/labour/begin", {"first_labour": True})).status == 200
            for n in range(CONTRACTIONS):
                started = await anywhere(person_id).post("/labour/contraction/start", {"intensity": 5})
                assert started.status == 200, started.body
                ended = await anywhere(person_id).put("/labour/contraction/end", {"intensity": 6, "notes": f"{n}"})
                assert ended.status == 200, ended.body

        await asyncio.gather(*(story(each) for each in ids))

        # Every person, read through each worker (one of which forwards to the owner), is exactly as written.
        for person_id in ids:
            for make in on:
                active = await make("P", "T", user_id=person_id).get("/labour/active")
                assert active.status == 200, active.body
                notes = [c["notes"] for c in active.body["labour"]["contractions"]]
                assert notes == [str(n) for n in range(CONTRACTIONS)]

        # An operator's page of every person's record, through each worker: half of them forwarded, all masked.
        operator = operator_authorization(stack.signing_key)
        for person_id in ids:
            for worker in workers:
                async with session.get(f"{worker.url}/table/birthing_persons/{person_id}/", headers=operator) as page:
                    assert page.status == 200, await page.text()
                    shown = await page.json()
                assert (shown["state"]["id"], shown["state"]["first_name"]) == (person_id, "***")
                assert len(shown["state"]["latest_labour"]["contractions"]) == CONTRACTIONS
