"""Subscriptions through the HTTP API on one worker, beside the labour-command figures of the same run.

`python -m bench.subscriptions` starts its own Kafka, PostgreSQL and worker, and prints:
- subscribes per second through HTTP (each a token check on the person, then the subscribe itself);
- time from sending a subscribe to the person's record holding it (p50/p99), under concurrent load: the moment
  the person's `birthing_person.follow_requested` (or `subscriber_added`, when approved at once) event is
  recorded, just before its table write.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiokafka import AIOKafkaConsumer

from bench.harness import Latencies, bench_worker, report, servers, stack_directory
from bench.labour_commands import api_figures
from labour_tracker.identity.local_key import issue_local_token, load_or_create_local_key

PREFIX = "labour_tracker"  # the worker's default topic prefix

# The person's events that say a subscribe reached them: a follow request, or a follower approved at once.
REACHED = ("birthing_person.follow_requested", "birthing_person.subscriber_added")


async def subscription_figures(url: str, bootstrap: str, key_file: Path, *, pairs: int, lanes: int) -> dict[str, Any]:
    key = load_or_create_local_key(key_file)

    def token(sub: str) -> str:
        return issue_local_token(
            key, audience="labour-tracker", sub=sub, given_name="B", family_name=sub, email=f"{sub}@example.org"
        )

    persons, subscribers = [token(f"sp-{n}") for n in range(pairs)], [token(f"ss-{n}") for n in range(pairs)]
    added: dict[tuple[str, str], float] = {}  # (person, subscriber) -> when the person's set took it (epoch s)
    accepted: set[int] = set()
    recorded = asyncio.Event()  # set whenever the watcher records a subscribe reaching the person
    consumer = AIOKafkaConsumer(
        f"{PREFIX}.birthing_person.events", bootstrap_servers=bootstrap, auto_offset_reset="latest"
    )
    await consumer.start()

    async def watch() -> None:
        async for record in consumer:
            event = json.loads(record.value or b"{}")
            if event.get("type") in REACHED:
                added[(event["aggregate_id"], event["data"]["subscriber_id"])] = record.timestamp / 1000
                recorded.set()

    watcher = asyncio.create_task(watch())
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=lanes * 2)) as session:

        async def call(bearer: str, method: str, path: str, body: Any = None) -> Any:
            headers = {"Authorization": f"Bearer {bearer}"}
            async with session.request(method, f"{url}/api/v1{path}", json=body, headers=headers) as answer:
                if answer.status >= 300:
                    raise RuntimeError(f"{method} {path}: {answer.status} {(await answer.read())[:200]!r}")
                return await answer.json()

        shared: dict[int, str] = {}
        lane = asyncio.Semaphore(lanes)

        async def register(n: int) -> None:
            async with lane:
                await call(persons[n], "POST", "/birthing-person/register")
                shared[n] = (await call(persons[n], "GET", "/birthing-person/subscription-token"))["token"]
                await call(subscribers[n], "POST", "/subscriber/register", {"contact_methods": ["email"]})

        await asyncio.gather(*(register(n) for n in range(pairs)))
        await asyncio.sleep(3)  # the watcher has joined the events topic
        sent: dict[int, float] = {}
        refused = 0

        async def subscribe(n: int) -> None:
            nonlocal refused
            async with lane:
                sent[n] = time.time()
                try:
                    await call(subscribers[n], "POST", f"/subscriber/subscribe_to/sp-{n}", {"token": shared[n]})
                    accepted.add(n)
                except RuntimeError as error:  # a 504 under overload: counted, and left out of the latencies
                    refused += 1
                    if refused <= 3:
                        print(error, flush=True)

        began = time.perf_counter()
        await asyncio.gather(*(subscribe(n) for n in range(pairs)))
        rate = len(accepted) / (time.perf_counter() - began)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(30):
                while any((f"sp-{n}", f"ss-{n}") not in added for n in accepted):
                    recorded.clear()
                    await recorded.wait()
    watcher.cancel()
    await consumer.stop()
    reached = [n for n in accepted if (f"sp-{n}", f"ss-{n}") in added]
    shown = Latencies([added[(f"sp-{n}", f"ss-{n}")] - sent[n] for n in reached], errors=refused)
    return {
        "subscribes": len(accepted),
        "accepted_but_not_in_person_set_within_30s": len(accepted) - len(reached),
        "subscribes_per_second": round(rate, 1),
        "to_person_set": shown.summary(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=400, help="subscribers, each subscribing to a person of their own")
    parser.add_argument("--lanes", type=int, default=16, help="subscribes in flight at once")
    parser.add_argument("--seconds", type=float, default=5.0, help="of labour commands")
    args = parser.parse_args()
    with servers() as (kafka, postgres):
        assert postgres is not None
        key_file = stack_directory(kafka) / "key.pem"
        worker = bench_worker(kafka, postgres, key_file)
        try:
            worker.start()
            subscriptions = asyncio.run(
                subscription_figures(worker.url, kafka.bootstrap, key_file, pairs=args.pairs, lanes=args.lanes)
            )
            labour = asyncio.run(  # the broker is warm from the subscriptions just measured
                api_figures(worker.url, key_file, persons=64, seconds=args.seconds, rate=100, warm_up=2, pid=worker.pid)
            )
        finally:
            worker.stop()
    report(
        "subscriptions",
        {
            "subscriptions": subscriptions,
            "labour_commands_same_run": labour,
            "subscribes_vs_labour_commands": round(
                subscriptions["subscribes_per_second"] / labour["commands_per_second"], 2
            ),
        },
    )


if __name__ == "__main__":
    main()
