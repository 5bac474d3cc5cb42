"""A labour of 300 contractions downloaded as JSON and as CSV through the HTTP API, with the mirror warm, beside
the same rows read with one plain asyncpg query and serialised with json.dumps.

`python -m bench.export` starts its own Kafka, PostgreSQL and worker (mirror in the worker, as deployed by default).
Through the API it registers a person and gives them a completed labour of `--contractions` contractions, each with
notes (commas, quotes, a line break), then waits until the mirror holds all of it. After `--warm-up` downloads of
each format, it times `--downloads` of each, one at a time, from the request to the body's last byte.
Baseline: in this process, the labour and its contractions fetched from the mirror's tables with plain asyncpg on a
warm pool, and turned into one JSON document with json.dumps: the floor of reading and serialising the same rows.
Target: the median download under 200 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg

from bench.harness import bench_worker, cpu_seconds, report, servers, stack_directory
from bench.persons import Persons, session

TARGET_MS = 200.0
EVERY, LASTING = timedelta(minutes=2), timedelta(seconds=60)
NOTES = ('strong, "long" one', "walked it off\nthen water", "=calm", None)


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "count": len(ordered),
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


async def timed(operation: Callable[[], Awaitable[int]], times: int) -> tuple[list[float], int]:
    """Seconds each of `times` calls took, one after another, and the bytes the last one gave."""
    samples, size = [], 0
    for _ in range(times):
        began = time.perf_counter()
        size = await operation()
        samples.append(time.perf_counter() - began)
    return samples, size


async def give_labour(persons: Persons, contractions: int) -> None:
    """Person 0, registered, with a completed labour of `contractions` contractions, back-dated."""
    began = datetime.now(UTC).replace(microsecond=0) - EVERY * contractions - timedelta(hours=2)
    await persons.register(0)
    await persons.begin_labour(0, first_labour=True, start_time=began.isoformat())
    for n in range(contractions):
        start = began + timedelta(minutes=1) + EVERY * n
        body: dict[str, Any] = {"start_time": start.isoformat(), "intensity": 1 + n % 10}
        if (notes := NOTES[n % len(NOTES)]) is not None:
            body["notes"] = notes
        await persons.call(0, "POST", "/labour/contraction/start", body)
        await persons.end_contraction(0, intensity=1 + n % 10, end_time=(start + LASTING).isoformat())
    await persons.complete_labour(0, end_time=(began + EVERY * contractions + timedelta(minutes=5)).isoformat())


async def figures(
    url: str, key_file: Path, dsn: str, *, contractions: int, downloads: int, warm_up: int, pid: int
) -> dict[str, Any]:
    async with session(2) as client:
        persons = Persons(client, url, key_file, "exporter")
        began = time.monotonic()
        await give_labour(persons, contractions)
        print(f"setup: {2 * contractions + 3} commands in {time.monotonic() - began:.1f} s", flush=True)
        headers = {"Authorization": f"Bearer {persons.token(0)}"}
        async with client.get(f"{url}/api/v1/birthing-person/labours?limit=1", headers=headers) as answer:
            labour_id = (await answer.json())["labours"][0]["id"]

        async def download(format_: str) -> int:
            address = f"{url}/api/v1/birthing-person/labours/{labour_id}/export"
            async with client.get(address, params={"format": format_}, headers=headers) as answer:
                body = await answer.read()
                if answer.status != 200:
                    raise RuntimeError(f"export: {answer.status} {body[:300]!r}")
                return len(body)

        deadline = time.monotonic() + 60
        while True:  # the mirror holds the whole labour, completed: from here on it is warm
            async with client.get(
                f"{url}/api/v1/birthing-person/labours/{labour_id}/export?format=json", headers=headers
            ) as answer:
                held = (await answer.json())["labour"] if answer.status == 200 else None
            if held and held["end_time"] and len(held["contractions"]) == contractions:
                break
            assert time.monotonic() < deadline, "the mirror did not catch up"
            await asyncio.sleep(0.2)

        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=1)
        try:

            async def baseline() -> int:
                async with pool.acquire() as connection:
                    labour = await connection.fetchrow(
                        "SELECT id, first_labour, start_time, end_time, phase, notes, alerts FROM mirror.labours"
                        " WHERE id = $1",
                        labour_id,
                    )
                    rows = await connection.fetch(
                        "SELECT id, start_time, end_time, intensity, notes FROM mirror.contractions"
                        " WHERE labour_id = $1 ORDER BY start_time, id",
                        labour_id,
                    )
                document = {
                    "labour": {
                        **{k: labour[k] for k in ("id", "first_labour", "phase", "notes")},
                        "start_time": labour["start_time"].isoformat(),
                        "end_time": labour["end_time"].isoformat() if labour["end_time"] else None,
                        "alerts": list(labour["alerts"]),
                        "contractions": [
                            {
                                "id": r["id"],
                                "start_time": r["start_time"].isoformat(),
                                "end_time": r["end_time"].isoformat() if r["end_time"] else None,
                                "duration_seconds": (r["end_time"] - r["start_time"]).total_seconds()
                                if r["end_time"]
                                else None,
                                "intensity": r["intensity"],
                                "notes": r["notes"],
                            }
                            for r in rows
                        ],
                    }
                }
                return len(json.dumps(document).encode())

            await timed(baseline, warm_up)
            base, base_size = await timed(baseline, downloads)
        finally:
            await pool.close()
        results: dict[str, Any] = {}
        for format_ in ("json", "csv"):
            await timed(partial(download, format_), warm_up)
            used = cpu_seconds(pid)
            samples, size = await timed(partial(download, format_), downloads)
            results[format_] = {
                **summary(samples),
                "bytes": size,
                "worker_cpu_ms_per_download": round(1000 * (cpu_seconds(pid) - used) / downloads, 2),
            }
    base_figures = {**summary(base), "bytes": base_size}
    return {
        "contractions": contractions,
        "export_json": results["json"],
        "export_csv": results["csv"],
        "baseline_asyncpg_json_dumps": base_figures,
        "ratios": {
            "json_p50_vs_baseline": round(results["json"]["p50_ms"] / base_figures["p50_ms"], 2),
            "csv_p50_vs_baseline": round(results["csv"]["p50_ms"] / base_figures["p50_ms"], 2),
        },
        "targets": {"p50_ms_max": TARGET_MS},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contractions", type=int, default=300)
    parser.add_argument("--downloads", type=int, default=200, help="timed, of each format")
    parser.add_argument("--warm-up", type=int, default=20, help="untimed downloads of each format first")
    args = parser.parse_args()
    with servers() as (kafka, postgres):
        assert postgres is not None
        key_file = stack_directory(kafka) / "key.pem"
        worker = bench_worker(kafka, postgres, key_file)
        try:
            worker.start()
            result = asyncio.run(
                figures(
                    worker.url,
                    key_file,
                    postgres.dsn,
                    contractions=args.contractions,
                    downloads=args.downloads,
                    warm_up=args.warm_up,
                    pid=worker.pid,
                )
            )
        finally:
            worker.stop()
    report("export", result)


if __name__ == "__main__":
    main()
