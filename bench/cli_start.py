"""How long `labour-tracker` takes to start, for commands that need no worker, beside a bare Python's start.

Each command runs RUNS times in a process of its own (local key in a temporary file); the figures are medians in
seconds, with the baseline `python -c pass` from the same run.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import report

RUNS = 15
COMMANDS = {
    "help": ["--help"],
    "check_help": ["check", "--help"],
    "token": ["token", "--sub", "bench"],
}


def median_seconds(argv: list[str], env: dict[str, str]) -> float:
    times = []
    for _ in range(RUNS):
        began = time.perf_counter()
        subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - began)
    return round(statistics.median(times), 3)


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        env = {**os.environ, "LABOUR_TRACKER_LOCAL_SIGNING_KEY": str(Path(directory) / "key.pem")}
        baseline = median_seconds([sys.executable, "-c", "pass"], env)
        figures = {
            name: median_seconds([sys.executable, "-m", "labour_tracker", *argv], env)
            for name, argv in COMMANDS.items()
        }
    report("cli_start", {"baseline_python_seconds": baseline, "median_seconds": figures, "runs": RUNS})


if __name__ == "__main__":
    main()
