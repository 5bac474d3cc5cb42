"""`python -m labour_tracker.devstack run | reap PID_FILE`: the whole local stack in the foreground, or cleanup."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import time
from pathlib import Path
from typing import Protocol

from labour_tracker.devstack.kafka import KafkaBroker, kafka_version
from labour_tracker.devstack.postgres import PostgresCluster
from labour_tracker.devstack.process import port_open, reap
from labour_tracker.devstack.sftp import SftpServer
from labour_tracker.devstack.worker import WorkerProcess

KAFKA_PORT = 9092
KAFKA_CONTROLLER_PORT = 9093
WEB_PORT = 8000


class _Part(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run(state: Path) -> int:
    for port, what in (
        (KAFKA_PORT, "Kafka"),
        (KAFKA_CONTROLLER_PORT, "Kafka's controller"),
        (WEB_PORT, "the API"),
    ):
        if port_open(port):
            print(f"devstack: port {port} for {what} is already in use; stop whatever holds it", file=sys.stderr)
            return 1
    kafka = KafkaBroker(state / "kafka", port=KAFKA_PORT, controller_port=KAFKA_CONTROLLER_PORT)
    postgres = PostgresCluster(state / "postgres")
    sftp = SftpServer(state / "sftp")
    worker = WorkerProcess(
        env={
            "LABOUR_TRACKER_KAFKA_BOOTSTRAP": kafka.bootstrap,
            "LABOUR_TRACKER_DATABASE_URL": postgres.dsn,
            "LABOUR_TRACKER_STORE": "rocksdb://",
            **sftp.worker_env(),  # emails go to the local relay's pickup folder; SMS to .cache/sms-outbox.jsonl
        },
        data_dir=state / "worker",
        port=WEB_PORT,
    )
    parts: tuple[_Part, ...] = (kafka, postgres, sftp, worker)
    started: list[_Part] = []
    # Explicitly: a shell's background job inherits SIGINT ignored, and Ctrl-C must still stop the stack.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        for part in parts:
            began = time.monotonic()
            part.start()
            started.append(part)
            print(f"devstack: {type(part).__name__} up in {time.monotonic() - began:.1f} s", flush=True)
        print(
            f"""
Labour Tracker is running (Ctrl-C stops everything):
  API              {worker.url}/api/v1   (health: /api/v1/health, readiness: /api/v1/ready)
  API docs         {worker.url}/docs
  Faust web        {worker.url}/
  Kafka {kafka_version():<10} {kafka.bootstrap}
  PostgreSQL       {postgres.dsn}
  SFTP (mail drop) sftp://relay@127.0.0.1:{sftp.port}/pickup   (emails land in {sftp.drop_directory})
  SMS              without LABOUR_TRACKER_TWILIO_* set: .cache/sms-outbox.jsonl and the worker's log
  state            {state}
""",
            flush=True,
        )
        assert worker.process is not None
        return worker.process.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean stop short
        for part in reversed(started):
            with contextlib.suppress(Exception):
                part.stop()
        print("devstack: stopped", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m labour_tracker.devstack", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run_command = commands.add_parser("run", help="start Kafka, PostgreSQL, SFTP and a worker in the foreground")
    run_command.add_argument("--state", type=Path, default=Path(".cache/run"), help="where the stack keeps its data")
    reap_command = commands.add_parser("reap", help="end every process recorded in PID_FILE that is still alive")
    reap_command.add_argument("pid_file", type=Path)
    args = parser.parse_args()
    if args.command == "run":
        sys.exit(run(args.state.resolve()))
    alive = reap(args.pid_file)
    if alive:
        print(f"devstack: ended {len(alive)} leftover process group(s): {alive}", file=sys.stderr)


if __name__ == "__main__":
    main()
