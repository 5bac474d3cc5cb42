"""What every benchmark shares: a private stack, load shapes (closed loop, fixed rate), and the report."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

from labour_tracker.devstack.kafka import KafkaBroker, kafka_version
from labour_tracker.devstack.postgres import PostgresCluster
from labour_tracker.devstack.worker import WorkerProcess

REPORTS = Path(__file__).parent / "reports"


@dataclass
class Latencies:
    samples: list[float] = field(default_factory=list)  # seconds
    errors: int = 0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000 if ordered else float("nan")

    def summary(self) -> dict[str, float]:
        return {
            "count": len(self.samples),
            "errors": self.errors,
            "p50_ms": round(self.percentile(50), 2),
            "p99_ms": round(self.percentile(99), 2),
            "mean_ms": round(statistics.fmean(self.samples) * 1000, 2) if self.samples else float("nan"),
        }


async def closed_loop(operation: Callable[[int], Awaitable[None]], *, workers: int, seconds: float) -> float:
    """Operations per second with `workers` callers each going as fast as answers come back."""
    done = 0
    deadline = time.monotonic() + seconds

    async def caller(n: int) -> None:
        nonlocal done
        while time.monotonic() < deadline:
            await operation(n)
            done += 1

    began = time.monotonic()
    await asyncio.gather(*(caller(n) for n in range(workers)))
    return done / (time.monotonic() - began)


def cpu_seconds(pid: int) -> float:
    """The CPU time (user and system) process `pid` has used so far, from Linux's /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def commands_figures(
    command: Callable[[int], Awaitable[None]], *, lanes: int, seconds: float, rate: float, warm_up: float, pid: int
) -> dict[str, Any]:
    """A server's figures for `command`: after `warm_up` seconds of it (the broker's JIT on its traffic), commands
    per second in a closed loop, with how much of one core the server process `pid` used meanwhile (near 100, it
    is the bottleneck); then the latencies at a fixed `rate`."""
    await closed_loop(command, workers=lanes, seconds=warm_up)
    used, began = cpu_seconds(pid), time.monotonic()
    throughput = await closed_loop(command, workers=lanes, seconds=seconds)
    busy = (cpu_seconds(pid) - used) / (time.monotonic() - began)
    latency = await fixed_rate(command, rate=rate, seconds=seconds, lanes=lanes)
    return {
        "commands_per_second": round(throughput, 1),
        "server_cpu_percent": round(100 * busy, 1),
        f"at_{rate:g}_per_second": latency.summary(),
    }


async def fixed_rate(
    operation: Callable[[int], Awaitable[None]], *, rate: float, seconds: float, lanes: int
) -> Latencies:
    """Latency at a fixed arrival rate (open loop): one operation every 1/rate s, spread over `lanes` callers."""
    result = Latencies()
    busy = [asyncio.Lock() for _ in range(lanes)]
    tasks = []

    async def one(lane: int) -> None:
        async with busy[lane]:  # a lane (one person) has one command in flight, as a person would
            began = time.perf_counter()
            try:
                await operation(lane)
                result.samples.append(time.perf_counter() - began)
            except Exception as error:
                result.errors += 1
                if result.errors <= 3:
                    print(f"error: {error}", flush=True)

    start = time.monotonic()
    for n in range(int(rate * seconds)):
        await asyncio.sleep(max(0.0, start + n / rate - time.monotonic()))
        tasks.append(asyncio.create_task(one(n % lanes)))
    await asyncio.gather(*tasks)
    return result


@contextmanager
def servers(with_postgres: bool = True) -> Iterator[tuple[KafkaBroker, PostgresCluster | None]]:
    """A private Kafka and PostgreSQL. Their directory (`stack_directory`) is removed with them, some 60 MB a run,
    unless the benchmark failed: then it is kept, and named, for its logs."""
    base = Path(tempfile.mkdtemp(prefix="labour-tracker-bench-"))
    kafka = KafkaBroker(base / "kafka")
    postgres = PostgresCluster(base / "postgres") if with_postgres else None
    finished = False
    try:
        kafka.start()
        if postgres:
            postgres.start()
        yield kafka, postgres
        finished = True
    finally:
        if postgres:
            postgres.stop()
        kafka.stop()
        if finished:
            shutil.rmtree(base, ignore_errors=True)
        else:
            print(f"the benchmark's servers, workers and their logs are kept in {base}", file=sys.stderr)


def stack_directory(kafka: KafkaBroker) -> Path:
    """The directory of the stack `servers()` started: whatever else a benchmark writes goes there too."""
    return kafka.data_dir.parent


def bench_worker(kafka: KafkaBroker, postgres: PostgresCluster, key_file: Path, **env: str) -> WorkerProcess:
    """A worker (not yet started) on the benchmark's servers, with RocksDB tables and quiet logs."""
    directory = Path(tempfile.mkdtemp(prefix="worker-", dir=stack_directory(kafka)))
    return WorkerProcess(
        env={
            "LABOUR_TRACKER_KAFKA_BOOTSTRAP": kafka.bootstrap,
            "LABOUR_TRACKER_DATABASE_URL": postgres.dsn,
            "LABOUR_TRACKER_STORE": "rocksdb://",
            "LABOUR_TRACKER_LOCAL_SIGNING_KEY": str(key_file),
            "LABOUR_TRACKER_LOG_LEVEL": "WARNING",
            # The benchmarks drive one person far faster than a person can: they measure the pipeline, not the caps.
            "LABOUR_TRACKER_COMMANDS_PER_MINUTE": "0",
            "LABOUR_TRACKER_LABOURS_PER_DAY": "0",
            "LABOUR_TRACKER_MESSAGES_PER_DESTINATION_PER_HOUR": "0",
            **env,
        },
        data_dir=directory / "data",
        log=directory / "worker.log",
    )


def bench_floor(kafka: KafkaBroker) -> WorkerProcess:
    """The framework's floor (`bench.floor_worker`, not yet started) on the benchmark's broker."""
    directory = Path(tempfile.mkdtemp(prefix="floor-", dir=stack_directory(kafka)))
    return WorkerProcess(
        env={"LABOUR_TRACKER_KAFKA_BOOTSTRAP": kafka.bootstrap, "LABOUR_TRACKER_LOG_LEVEL": "WARNING"},
        data_dir=directory / "data",
        log=directory / "floor.log",
        module="bench.floor_worker",
    )


def bench_mirror(worker: WorkerProcess) -> WorkerProcess:
    """A mirror process of its own (not yet started) for a worker started with LABOUR_TRACKER_MIRROR_IN_WORKER=false."""
    directory = Path(tempfile.mkdtemp(prefix="mirror-", dir=worker.data_dir.parent))  # beside its worker's
    return WorkerProcess(
        env=worker.env, data_dir=directory / "data", log=directory / "mirror.log", command=("mirror", "follow")
    )


def machine() -> dict[str, Any]:
    import os

    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "kafka": kafka_version(),
        "faust-streaming": version("faust-streaming"),
        "aiokafka": version("aiokafka"),
        "aiohttp": version("aiohttp"),
    }


def report(name: str, figures: dict[str, Any]) -> None:
    REPORTS.mkdir(exist_ok=True)
    document = {"benchmark": name, "machine": machine(), "figures": figures, "time": time.time()}
    (REPORTS / f"{name}.json").write_text(json.dumps(document, indent=2) + "\n")
    print(json.dumps(document, indent=2))


def as_dict(value: Any) -> Any:
    return asdict(value)
