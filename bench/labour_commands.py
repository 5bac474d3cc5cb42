"""Labour commands through the HTTP API on one worker, beside two baselines: a bare aiokafka request/reply round
trip, and the framework's floor (`bench.floor_worker`: an HTTP view asking a Faust agent that counts, as the
worker runs Faust, with none of the product).

`python -m bench.labour_commands` starts its own Kafka, PostgreSQL, worker and mirror (a process of its own, as
docs/operations.md advises for throughput); prints figures and ratios. Each part is measured after `--warm-up`
seconds of its own load, so against a broker whose JIT has compiled that traffic, as a long-running one has.
Targets (2 cores): at least 1,000 commands/s sustained; at 200 commands/s, p50 under 15 ms, p99 under 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from pathlib import Path
from typing import Any

import aiohttp
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from bench.harness import (
    bench_floor,
    bench_mirror,
    bench_worker,
    closed_loop,
    commands_figures,
    fixed_rate,
    report,
    servers,
    stack_directory,
)
from labour_tracker.identity.local_key import issue_local_token, load_or_create_local_key


async def api_figures(
    url: str, key_file: Path, *, persons: int, seconds: float, rate: float, warm_up: float, pid: int
) -> dict[str, Any]:
    key = load_or_create_local_key(key_file)
    tokens = [
        issue_local_token(key, audience="labour-tracker", sub=f"bench-{n}", given_name="B", family_name=str(n))
        for n in range(persons)
    ]
    contracting = [False] * persons
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=persons * 2)) as session:

        async def call(n: int, method: str, path: str, body: Any = None) -> None:
            headers = {"Authorization": f"Bearer {tokens[n]}"}
            async with session.request(method, f"{url}/api/v1{path}", json=body, headers=headers) as answer:
                await answer.read()
                if answer.status >= 300:
                    raise RuntimeError(f"{method} {path}: {answer.status} {(await answer.read())[:200]!r}")

        for n in range(persons):
            await call(n, "POST", "/birthing-person/register")
            await call(n, "POST", "/labour/begin", {"first_labour": True})

        async def contraction_step(n: int) -> None:
            if contracting[n]:
                await call(n, "PUT", "/labour/contraction/end", {"intensity": 5})
            else:
                await call(n, "POST", "/labour/contraction/start", {})
            contracting[n] = not contracting[n]

        return await commands_figures(
            contraction_step, lanes=persons, seconds=seconds, rate=rate, warm_up=warm_up, pid=pid
        )


async def floor_figures(
    url: str, *, persons: int, seconds: float, rate: float, warm_up: float, pid: int
) -> dict[str, Any]:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=persons * 2)) as session:

        async def command(n: int) -> None:
            async with session.post(f"{url}/command/person-{n}") as answer:
                await answer.read()
                if answer.status != 200:
                    raise RuntimeError(f"the floor answered {answer.status}")

        return await commands_figures(command, lanes=persons, seconds=seconds, rate=rate, warm_up=warm_up, pid=pid)


async def kafka_figures(bootstrap: str, *, lanes: int, seconds: float, rate: float, warm_up: float) -> dict[str, Any]:
    run = uuid.uuid4().hex[:6]
    requests, replies = f"bench-requests-{run}", f"bench-replies-{run}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(t, num_partitions=4, replication_factor=1) for t in (requests, replies)])
    await admin.close()
    echo = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.echo", bootstrap, requests, replies, stdout=asyncio.subprocess.PIPE
    )
    assert echo.stdout is not None and b"ready" in await echo.stdout.readline()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0)
    consumer = AIOKafkaConsumer(replies, bootstrap_servers=bootstrap, auto_offset_reset="latest")
    await producer.start()
    await consumer.start()
    waiting: dict[bytes, asyncio.Future[None]] = {}

    async def receive() -> None:
        async for record in consumer:
            future = waiting.pop(record.key, None)
            if future is not None:
                future.set_result(None)

    receiver = asyncio.create_task(receive())
    try:

        async def round_trip(_: int) -> None:
            key = uuid.uuid4().bytes
            waiting[key] = asyncio.get_running_loop().create_future()
            await producer.send(requests, b'{"type": "contraction.start", "data": {}}', key=key)
            await waiting[key]

        await closed_loop(round_trip, workers=lanes, seconds=warm_up)  # the broker's JIT, the echo's group join
        throughput = await closed_loop(round_trip, workers=lanes, seconds=seconds)
        latency = await fixed_rate(round_trip, rate=rate, seconds=seconds, lanes=lanes)
    finally:
        receiver.cancel()
        await consumer.stop()
        await producer.stop()
        echo.terminate()
        await echo.wait()
    return {"round_trips_per_second": round(throughput, 1), f"at_{rate:g}_per_second": latency.summary()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--persons", type=int, default=64)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--warm-up", type=float, default=20.0, help="seconds of load before each measurement")
    args = parser.parse_args()
    with servers() as (kafka, postgres):
        assert postgres is not None
        key_file = stack_directory(kafka) / "key.pem"
        baseline = asyncio.run(
            kafka_figures(
                kafka.bootstrap, lanes=args.persons, seconds=args.seconds, rate=args.rate, warm_up=args.warm_up
            )
        )
        floor_worker = bench_floor(kafka)
        try:
            floor_worker.start()
            floor = asyncio.run(
                floor_figures(
                    floor_worker.url,
                    persons=args.persons,
                    seconds=args.seconds,
                    rate=args.rate,
                    warm_up=args.warm_up,
                    pid=floor_worker.pid,
                )
            )
        finally:
            floor_worker.stop()
        worker = bench_worker(kafka, postgres, key_file, LABOUR_TRACKER_MIRROR_IN_WORKER="false")
        mirror = bench_mirror(worker)
        try:
            worker.start()
            mirror.start()
            api = asyncio.run(
                api_figures(
                    worker.url,
                    key_file,
                    persons=args.persons,
                    seconds=args.seconds,
                    rate=args.rate,
                    warm_up=args.warm_up,
                    pid=worker.pid,
                )
            )
        finally:
            mirror.stop()
            worker.stop()
    at = f"at_{args.rate:g}_per_second"
    report(
        "labour_commands",
        {
            "http_commands": api,
            "baseline_bare_kafka_request_reply": baseline,
            "baseline_framework_floor": floor,
            "ratios": {
                "throughput_vs_baseline": round(api["commands_per_second"] / baseline["round_trips_per_second"], 3),
                "p50_vs_baseline": round(api[at]["p50_ms"] / baseline[at]["p50_ms"], 2),
                "p99_vs_baseline": round(api[at]["p99_ms"] / baseline[at]["p99_ms"], 2),
                "throughput_vs_floor": round(api["commands_per_second"] / floor["commands_per_second"], 3),
                "p50_vs_floor": round(api[at]["p50_ms"] / floor[at]["p50_ms"], 2),
                "p99_vs_floor": round(api[at]["p99_ms"] / floor[at]["p99_ms"], 2),
            },
            "targets": {"commands_per_second": 1000, f"{at}_p50_ms": 15, f"{at}_p99_ms": 50},
        },
    )


if __name__ == "__main__":
    main()
