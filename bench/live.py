"""Labours followed live: 200 followers' streams across two workers, and how soon each command reaches them all.

`python -m bench.live` starts its own Kafka, PostgreSQL and two workers sharing the partitions, and prints:
- from a command's HTTP answer to the moment its event reached the last of the person's followers (p50/p99; the
  target is a p99 under 1 s), followers connected half to each worker, commands sent half through each, one at a
  time; negative when the last follower had it before the caller had the answer;
- the same commands' own latency through HTTP, in the same run.
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

from bench.harness import Latencies, bench_worker, report, servers, stack_directory
from labour_tracker.devstack.worker import WorkerProcess
from labour_tracker.identity.local_key import issue_local_token, load_or_create_local_key

FOLLOWERS_PER_PERSON = 50  # the domain's cap on one person's subscribers


class Follower:
    """One follower's stream, read as it comes: when each (event type, contraction id) arrived."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response
        self.arrived: dict[tuple[str, str], float] = {}
        self.seen = asyncio.Event()

    async def read(self) -> None:
        data = None
        async for line in self.response.content:
            text = line.decode().rstrip("\n")
            if text.startswith("data: "):
                data = json.loads(text.removeprefix("data: "))
            elif text == "" and data is not None:
                if "contraction_id" in data:
                    self.arrived[(data["type"], data["contraction_id"])] = time.monotonic()
                    self.seen.set()
                data = None


async def live_figures(workers: list[WorkerProcess], key_file: Path, *, persons: int, commands: int) -> dict[str, Any]:
    key = load_or_create_local_key(key_file)

    def token(sub: str) -> str:
        return issue_local_token(
            key, audience="labour-tracker", sub=sub, given_name="F", family_name=sub, email=f"{sub}@example.org"
        )

    urls = [each.url for each in workers]
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=None)) as session:

        async def call(bearer: str, method: str, path: str, body: Any = None, *, via: int = 0) -> Any:
            headers = {"Authorization": f"Bearer {bearer}"}
            for _ in range(50):
                async with session.request(method, f"{urls[via]}/api/v1{path}", json=body, headers=headers) as answer:
                    if answer.status in (503, 504):
                        await asyncio.sleep(0.2)
                        continue
                    if answer.status >= 300:
                        raise RuntimeError(f"{method} {path}: {answer.status} {(await answer.read())[:200]!r}")
                    return await answer.json() if answer.content_length != 0 else None
            raise RuntimeError(f"{method} {path}: unavailable")

        for url in urls:  # each worker's feed follows the live messages: a stream without a ticket is 401, not 503
            while True:
                async with session.get(f"{url}/api/v1/live/birthing-person/nobody") as answer:
                    if answer.status != 503:
                        break
                await asyncio.sleep(0.2)

        person_tokens = {f"lp-{p}": token(f"lp-{p}") for p in range(persons)}
        follower_tokens = {
            f"lf-{p}-{n}": token(f"lf-{p}-{n}") for p in range(persons) for n in range(FOLLOWERS_PER_PERSON)
        }
        lane = asyncio.Semaphore(16)

        async def set_up(person: str) -> None:
            bearer = person_tokens[person]
            await call(bearer, "POST", "/birthing-person/register")
            # Followers at once: the bench measures the stream, not the person approving each request.
            await call(bearer, "PUT", "/birthing-person/settings", {"approve_followers_at_once": True})
            shared = (await call(bearer, "GET", "/birthing-person/subscription-token"))["token"]
            mine = [each for each in follower_tokens if each.startswith(f"lf-{person.removeprefix('lp-')}-")]

            async def subscribe(follower: str) -> None:
                async with lane:
                    await call(
                        follower_tokens[follower], "POST", "/subscriber/register", {"contact_methods": ["email"]}
                    )
                    await call(
                        follower_tokens[follower], "POST", f"/subscriber/subscribe_to/{person}", {"token": shared}
                    )

            await asyncio.gather(*(subscribe(each) for each in mine))
            while len((await call(bearer, "GET", "/birthing-person/"))["birthing_person"]["subscribers"]) < len(mine):  # noqa: ASYNC110 (polls HTTP)
                await asyncio.sleep(0.2)
            await call(bearer, "POST", "/labour/begin", {"first_labour": True})

        await asyncio.gather(*(set_up(each) for each in person_tokens))

        followers: dict[str, list[Follower]] = {person: [] for person in person_tokens}
        readers = []
        for n, (follower, bearer) in enumerate(follower_tokens.items()):
            person = "lp-" + follower.split("-")[1]
            ticket = (await call(bearer, "POST", "/live/tickets", {"birthing_person_id": person}))["ticket"]
            response = await session.get(
                f"{urls[n % 2]}/api/v1/live/birthing-person/{person}", params={"ticket": ticket}
            )
            assert response.status == 200, await response.text()
            followers[person].append(Follower(response))
            readers.append(asyncio.create_task(followers[person][-1].read()))

        to_last, own = Latencies(), Latencies()
        open_contraction: dict[str, str] = {}
        for k in range(commands):
            person = f"lp-{k % persons}"
            via = (k // persons) % 2
            if person in open_contraction:
                kind, method, path, body = "contraction.ended", "PUT", "/labour/contraction/end", {"intensity": 6}
            else:
                kind, method, path, body = "contraction.started", "POST", "/labour/contraction/start", {"intensity": 5}
            sent = time.monotonic()
            answer = await call(person_tokens[person], method, path, body, via=via)
            answered = time.monotonic()
            own.samples.append(answered - sent)
            contraction_id = answer["labour"]["contractions"][-1]["id"]
            if kind == "contraction.started":
                open_contraction[person] = contraction_id
            else:
                del open_contraction[person]
            wanted = (kind, contraction_id)
            try:
                async with asyncio.timeout(10):
                    for each in followers[person]:
                        while wanted not in each.arrived:
                            each.seen.clear()
                            await each.seen.wait()
                to_last.samples.append(max(each.arrived[wanted] for each in followers[person]) - answered)
            except TimeoutError:
                to_last.errors += 1
            await asyncio.sleep(0.05)

        for reader in readers:
            reader.cancel()
        for person_followers in followers.values():
            for follower_stream in person_followers:
                follower_stream.response.close()
        with contextlib.suppress(BaseException):
            await asyncio.gather(*readers)
    return {
        "followers": len(follower_tokens),
        "persons": persons,
        "workers": len(workers),
        "commands": commands,
        "answer_to_last_follower": to_last.summary(),
        # The live message goes out with the events, before the answer: the followers may have it first (< 0).
        "last_follower_before_the_answer": sum(1 for each in to_last.samples if each < 0),
        "command_latency_same_run": own.summary(),
        "target_p99_ms": 1000,
        "p99_within_target": to_last.percentile(99) < 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=4, help=f"persons, each with {FOLLOWERS_PER_PERSON} followers")
    parser.add_argument("--commands", type=int, default=200, help="contraction commands, spread over the persons")
    args = parser.parse_args()
    with servers() as (kafka, postgres):
        assert postgres is not None
        key_file = stack_directory(kafka) / "key.pem"
        workers = [bench_worker(kafka, postgres, key_file) for _ in range(2)]
        try:
            for each in workers:
                each.start(wait_ready=False)
            for each in workers:
                each.start_waiting()
            figures = asyncio.run(live_figures(workers, key_file, persons=args.persons, commands=args.commands))
        finally:
            for each in workers:
                each.stop()
    report("live", figures)


if __name__ == "__main__":
    main()
