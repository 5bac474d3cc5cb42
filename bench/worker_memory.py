"""A worker's resident memory as the persons it serves add up: idle after start, then after serving N persons,
each registered, with a labour begun and a contraction started and ended (4 commands a person).

`python -m bench.worker_memory` starts its own Kafka, PostgreSQL, worker and mirror (a process of its own, as in
`bench.labour_commands`, so the figures are the worker's alone; `--mirror-in-worker` counts it in). It drives
the persons through the HTTP API, `--in-flight` of them at once, and reads the worker process's VmRSS (from
/proc/<pid>/status) at checkpoints: 5,000, 10,000, 20,000, 50,000 and 100,000 persons, as far as `--persons`
goes. Each checkpoint's figure names its number of persons.
RSS rises and falls as the run goes (buffers filled, then released), so each checkpoint also gives the peak so far
(VmHWM).
Baseline: the worker's RSS idle after start. Target: under 300 MB with 100,000 persons, the peak too.
100,000 persons (400,000 commands) take 17-23 minutes on 2 cores (250-400 commands/s, the worker busy 80-100% of
a core), up to three times as long on cores busy with other work; `--persons 20000` takes some 4 minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path
from typing import Any

from bench.harness import bench_mirror, bench_worker, cpu_seconds, report, servers, stack_directory
from bench.persons import Persons, gather_bounded, session

CHECKPOINTS = (5_000, 10_000, 20_000, 50_000, 100_000)
TARGET_PERSONS = 100_000
TARGET_RSS_MB = 300


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """Resident memory of process `pid` in MB (10^6 bytes): now (VmRSS), or its peak so far (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return round(int(line.split()[1]) * 1024 / 1e6, 1)
    raise RuntimeError(f"process {pid} reports no {field}")


async def memory_figures(
    url: str, key_file: Path, *, persons: int, contractions: int, in_flight: int, settle: float, pid: int
) -> dict[str, Any]:
    await asyncio.sleep(settle)
    idle = rss_mb(pid)
    print(f"idle: {idle} MB", flush=True)
    checkpoints = sorted({each for each in CHECKPOINTS if each < persons} | {persons})
    figures: dict[str, Any] = {"baseline_idle_rss_mb": idle}
    failed = 0
    served = 0  # persons whose commands were all answered

    async with session(in_flight) as client:
        driven = Persons(client, url, key_file, "memory")

        async def serve(n: int) -> None:
            nonlocal failed, served
            try:
                await driven.register(n)
                await driven.begin_labour(n)
                for _ in range(contractions):
                    await driven.start_contraction(n)
                    await driven.end_contraction(n)
                served += 1
            except (RuntimeError, OSError, TimeoutError) as error:  # a 504 under overload, say: counted
                failed += 1
                if failed <= 3:
                    print(f"error: {error}", flush=True)
            finally:
                driven.forget(n)

        async def report_progress() -> None:
            began, last = time.monotonic(), 0
            while True:
                await asyncio.sleep(30)
                print(
                    f"{time.monotonic() - began:.0f} s: {served} persons ({(served - last) / 30:.0f}/s now), "
                    f"{failed} failed, worker {rss_mb(pid)} MB",
                    flush=True,
                )
                last = served

        reporter = asyncio.create_task(report_progress())
        began, done = time.monotonic(), 0
        try:
            for checkpoint in checkpoints:
                segment_began, worker_used, client_used = time.monotonic(), cpu_seconds(pid), time.process_time()
                await gather_bounded(range(done, checkpoint), in_flight, serve)
                seconds = time.monotonic() - segment_began
                worker_busy = (cpu_seconds(pid) - worker_used) / seconds
                client_busy = (time.process_time() - client_used) / seconds
                persons_per_second = (checkpoint - done) / seconds
                done = checkpoint
                rss = rss_mb(pid)
                figures[f"after_{checkpoint}_persons"] = {
                    "rss_mb": rss,
                    "peak_rss_mb": rss_mb(pid, "VmHWM"),
                    "rss_vs_idle": round(rss / idle, 2),
                    "kb_per_person_over_idle": round((rss - idle) * 1000 / checkpoint, 2),
                    "persons_per_second": round(persons_per_second, 1),
                    "commands_per_second": round(persons_per_second * (2 + 2 * contractions), 1),
                    "worker_cpu_percent": round(100 * worker_busy, 1),
                    "client_cpu_percent": round(100 * client_busy, 1),
                    "minutes_so_far": round((time.monotonic() - began) / 60, 1),
                }
                print(f"{checkpoint} persons: {figures[f'after_{checkpoint}_persons']}", flush=True)
        finally:
            reporter.cancel()
    figures["persons_reached"] = done
    figures["persons_served"] = served  # every command of theirs answered
    figures["persons_failed"] = failed
    figures["rss_mb_at_reached"] = figures[f"after_{done}_persons"]["rss_mb"]
    figures["peak_rss_mb_at_reached"] = figures[f"after_{done}_persons"]["peak_rss_mb"]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=TARGET_PERSONS)
    parser.add_argument("--contractions", type=int, default=1, help="started and ended by each person")
    parser.add_argument("--in-flight", type=int, default=64, help="persons driven at once")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds from ready to the idle figure")
    parser.add_argument("--mirror-in-worker", action="store_true", help="the worker also runs the mirror")
    args = parser.parse_args()
    with servers() as (kafka, postgres):
        assert postgres is not None
        key_file = stack_directory(kafka) / "key.pem"
        mirror_in_worker = "true" if args.mirror_in_worker else "false"
        worker = bench_worker(kafka, postgres, key_file, LABOUR_TRACKER_MIRROR_IN_WORKER=mirror_in_worker)
        mirror = None if args.mirror_in_worker else bench_mirror(worker)
        try:
            worker.start()
            if mirror is not None:
                mirror.start()
            figures = asyncio.run(
                memory_figures(
                    worker.url,
                    key_file,
                    persons=args.persons,
                    contractions=args.contractions,
                    in_flight=args.in_flight,
                    settle=args.settle,
                    pid=worker.pid,
                )
            )
        finally:
            if mirror is not None:
                mirror.stop()
            worker.stop()
    figures["mirror_in_worker"] = args.mirror_in_worker
    figures["targets"] = {"persons": TARGET_PERSONS, "rss_mb_under": TARGET_RSS_MB}
    report("worker_memory", figures)


if __name__ == "__main__":
    main()
