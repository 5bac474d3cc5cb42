"""Labour commands of persons with a long history (20 past labours of 300 contractions each), beside those of
persons just registered, in the same run on the same worker.

`python -m bench.long_history` starts its own Kafka, PostgreSQL, worker and mirror (a process of its own, as in
`bench.labour_commands`). Through the HTTP API it registers `--persons` persons and gives each their history:
every past labour begun back-dated, its contractions started and ended with explicit times (2 minutes apart, each
60 s long, intensity 5), then completed: 12,022 commands a person, one at a time, which take most of the run
(the default 4 persons, some 48,000 commands: about 4 minutes on 2 cores where a command costs the same however
long the history, 10 or more where it grows with it). Then each of them begins a labour, as do as many persons newly
registered, and both groups start and end contractions in a closed loop (one command in flight per person), in
alternating rounds: per command the median and p99 latency, commands per second, and the CPU time of the worker
and of the mirror. Every LABOUR_CONTRACTIONS contractions, unmeasured, a long-history person completes the labour
and begins another, and a new person's place goes to another new person. The setup's figures add its commands
per second in the first and in the last past labour, and the worker's RSS before and after it.
Baseline: the new persons' figures. Target: a long history costs within 1.2x of a new one (latency, throughput
and CPU per command).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.harness import (
    Latencies,
    bench_mirror,
    bench_worker,
    closed_loop,
    cpu_seconds,
    report,
    servers,
    stack_directory,
)
from bench.persons import Persons, session
from bench.worker_memory import rss_mb

INTERVAL = timedelta(minutes=2)  # from one contraction's start to the next's
DURATION = timedelta(seconds=60)  # of each contraction
LABOUR_CONTRACTIONS = 500  # of a measured labour: then the next (a labour of the service holds at most 1,000)
TARGET_RATIO = 1.2


def iso(moment: datetime) -> str:
    return moment.isoformat()


@dataclass
class Progress:
    """How far the setup has come, for its progress lines and its figures."""

    commands: int = 0
    labours_done: list[int] = field(default_factory=list)  # per person
    labour_seconds: list[list[float]] = field(default_factory=list)  # per person, per labour


async def give_histories(persons: Persons, *, count: int, labours: int, contractions: int) -> dict[str, Any]:
    """Registers persons 0 … count - 1 and gives each `labours` completed labours of `contractions` contractions."""
    slot = INTERVAL * contractions + timedelta(hours=1)  # a labour's span, with an hour before the next
    first = datetime.now(UTC).replace(microsecond=0) - slot * labours - timedelta(days=1)
    progress = Progress(labours_done=[0] * count, labour_seconds=[[] for _ in range(count)])

    async def history(n: int) -> None:
        await persons.register(n)
        progress.commands += 1
        for i in range(labours):
            began = time.monotonic()
            start = first + slot * i
            await persons.begin_labour(n, first_labour=i == 0, start_time=iso(start))
            for k in range(contractions):
                at = start + INTERVAL * k
                await persons.start_contraction(n, start_time=iso(at))
                await persons.end_contraction(n, end_time=iso(at + DURATION))
                progress.commands += 2
            await persons.complete_labour(n, end_time=iso(start + INTERVAL * contractions))
            progress.commands += 2
            progress.labour_seconds[n].append(time.monotonic() - began)
            progress.labours_done[n] += 1

    async def report_progress() -> None:
        began, last = time.monotonic(), 0
        while True:
            await asyncio.sleep(10)
            done = progress.commands
            print(
                f"setup: {time.monotonic() - began:.0f} s, {done} commands ({(done - last) / 10:.0f}/s now), "
                f"labours done per person {min(progress.labours_done)}-{max(progress.labours_done)} of {labours}",
                flush=True,
            )
            last = done

    reporter = asyncio.create_task(report_progress())
    began = time.monotonic()
    try:
        await asyncio.gather(*(history(n) for n in range(count)))
    finally:
        reporter.cancel()
    seconds = time.monotonic() - began
    per_labour = 2 * contractions + 2

    def rate_of_labour(i: int) -> float:  # commands/s over all persons while they gave their i-th labour
        return count * per_labour / (sum(each[i] for each in progress.labour_seconds) / count)

    return {
        "persons": count,
        "labours_each": labours,
        "contractions_each_labour": contractions,
        "commands": progress.commands,
        "seconds": round(seconds, 1),
        "commands_per_second": round(progress.commands / seconds, 1),
        "commands_per_second_first_labour": round(rate_of_labour(0), 1),
        "commands_per_second_last_labour": round(rate_of_labour(labours - 1), 1),
    }


@dataclass
class Group:
    """Persons of one group, each with a labour under way, measured in rounds of a closed loop.

    A labour of the service holds a bounded number of contractions, and a round adds hundreds a person: after
    LABOUR_CONTRACTIONS, a long-history person completes their labour and begins another, and a new person's
    place is taken by another new person (registered, labour begun). Those commands are not measured.
    """

    persons: Persons
    count: int
    fresh: bool  # a new person's place goes to another new person
    person: list[int] = field(default_factory=list)  # each place's person
    contractions: list[int] = field(default_factory=list)  # in each place's labour under way
    contracting: list[bool] = field(default_factory=list)
    recording: Latencies | None = None  # while measured
    latencies: Latencies = field(default_factory=Latencies)
    seconds: float = 0.0
    worker_cpu: float = 0.0
    mirror_cpu: float = 0.0

    def __post_init__(self) -> None:
        self.person = list(range(self.count))
        self.contractions = [0] * self.count
        self.contracting = [False] * self.count

    async def begin(self, n: int) -> None:
        """Place n's person begins a labour (a new person registers first)."""
        if self.fresh:
            await self.persons.register(self.person[n])
        await self.persons.begin_labour(self.person[n], first_labour=self.fresh)
        self.contractions[n] = 0

    async def step(self, n: int) -> None:
        """Place n's next contraction command: start one, or end the one under way."""
        if not self.contracting[n] and self.contractions[n] >= LABOUR_CONTRACTIONS:
            if self.fresh:
                self.person[n] += self.count
            else:
                await self.persons.complete_labour(self.person[n])
            await self.begin(n)
        began = time.perf_counter()
        if self.contracting[n]:
            await self.persons.end_contraction(self.person[n])
            self.contractions[n] += 1
        else:
            await self.persons.start_contraction(self.person[n])
        if self.recording is not None:
            self.recording.samples.append(time.perf_counter() - began)
        self.contracting[n] = not self.contracting[n]

    async def measure(self, seconds: float, pid: int, mirror_pid: int) -> None:
        used, mirror_used, began = cpu_seconds(pid), cpu_seconds(mirror_pid), time.monotonic()
        self.recording = self.latencies
        try:
            await closed_loop(self.step, workers=self.count, seconds=seconds)
        finally:
            self.recording = None
        self.seconds += time.monotonic() - began
        self.worker_cpu += cpu_seconds(pid) - used
        self.mirror_cpu += cpu_seconds(mirror_pid) - mirror_used

    def figures(self) -> dict[str, Any]:
        commands = len(self.latencies.samples)
        return {
            "commands_per_second": round(commands / self.seconds, 1),
            "worker_cpu_ms_per_command": round(1000 * self.worker_cpu / commands, 3),
            "worker_cpu_percent": round(100 * self.worker_cpu / self.seconds, 1),
            "mirror_cpu_ms_per_command": round(1000 * self.mirror_cpu / commands, 3),
            "latency": self.latencies.summary(),
        }


async def long_history_figures(
    url: str,
    key_file: Path,
    *,
    persons: int,
    labours: int,
    contractions: int,
    seconds: float,
    rounds: int,
    warm_up: float,
    pid: int,
    mirror_pid: int,
) -> dict[str, Any]:
    async with session(persons * 2) as client:
        long = Group(Persons(client, url, key_file, "long"), persons, fresh=False)
        new = Group(Persons(client, url, key_file, "new"), persons, fresh=True)
        idle = rss_mb(pid)
        setup = await give_histories(long.persons, count=persons, labours=labours, contractions=contractions)
        setup["worker_rss_mb_before"], setup["worker_rss_mb_after"] = idle, rss_mb(pid)
        print(f"setup: {setup}", flush=True)
        for n in range(persons):
            await long.begin(n)
            await new.begin(n)
        for group in (new, long):  # each person's first contractions, and the broker's JIT on this traffic
            await closed_loop(group.step, workers=persons, seconds=warm_up)
        for r in range(rounds):  # alternating, so that neither group has the quieter moments of the machine
            for group in (new, long) if r % 2 == 0 else (long, new):
                await group.measure(seconds, pid, mirror_pid)
    return {"setup": setup, "long": long.figures(), "new": new.figures()}


def ratio(a: float, b: float) -> float:
    return round(a / b, 2) if b else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=4, help="in each group (the long ones take the setup time)")
    parser.add_argument("--labours", type=int, default=20, help="past labours of each long-history person")
    parser.add_argument("--contractions", type=int, default=300, help="in each past labour")
    parser.add_argument("--seconds", type=float, default=10.0, help="of each group in each round")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--warm-up", type=float, default=5.0, help="seconds of each group before the rounds")
    args = parser.parse_args()
    with servers() as (kafka, postgres):
        assert postgres is not None
        key_file = stack_directory(kafka) / "key.pem"
        worker = bench_worker(kafka, postgres, key_file, LABOUR_TRACKER_MIRROR_IN_WORKER="false")
        mirror = bench_mirror(worker)
        try:
            worker.start()
            mirror.start()
            figures = asyncio.run(
                long_history_figures(
                    worker.url,
                    key_file,
                    persons=args.persons,
                    labours=args.labours,
                    contractions=args.contractions,
                    seconds=args.seconds,
                    rounds=args.rounds,
                    warm_up=args.warm_up,
                    pid=worker.pid,
                    mirror_pid=mirror.pid,
                )
            )
        finally:
            mirror.stop()
            worker.stop()
    long, new = figures["long"], figures["new"]
    report(
        "long_history",
        {
            "long_history_persons": long,
            "baseline_new_persons": new,
            "setup": figures["setup"],
            "ratios": {
                "p50_long_vs_new": ratio(long["latency"]["p50_ms"], new["latency"]["p50_ms"]),
                "p99_long_vs_new": ratio(long["latency"]["p99_ms"], new["latency"]["p99_ms"]),
                "throughput_new_vs_long": ratio(new["commands_per_second"], long["commands_per_second"]),
                "worker_cpu_per_command_long_vs_new": ratio(
                    long["worker_cpu_ms_per_command"], new["worker_cpu_ms_per_command"]
                ),
            },
            "targets": {"every_ratio_at_most": TARGET_RATIO},
        },
    )


if __name__ == "__main__":
    main()
