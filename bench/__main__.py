"""`make bench`: every benchmark in turn, each in a process of its own, then one report of them all.

Writes bench/reports/report.json and bench/reports/report.md: each benchmark's figures beside the baseline
it measured in the same run, the ratios, the targets, the machine and the versions.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

from bench.harness import REPORTS, machine

BENCHMARKS = (
    "labour_commands",
    "subscriptions",
    "mirror",
    "notifications",
    "long_history",
    "worker_memory",
    "cli_start",
    "export",
    "live",
)


def leaves(figures: Any, path: str = "") -> list[tuple[str, Any]]:
    """Every figure of a nested report as (dotted.path, value)."""
    if isinstance(figures, dict):
        return [leaf for key, value in figures.items() for leaf in leaves(value, f"{path}.{key}" if path else key)]
    return [(path, figures)]


def markdown(results: dict[str, Any], failed: list[str]) -> str:
    lines = ["# Labour Tracker benchmarks", ""]
    lines += [f"- {key}: {value}" for key, value in machine().items()]
    for name, result in results.items():
        lines += ["", f"## {name}", "", "| figure | value |", "|---|---|"]
        lines += [f"| {key} | {value} |" for key, value in leaves(result["figures"])]
    if failed:
        lines += ["", "## Did not finish", "", *[f"- {name}" for name in failed]]
    return "\n".join(lines) + "\n"


def main() -> int:
    wanted = sys.argv[1:] or list(BENCHMARKS)
    results, failed = {}, []
    for name in wanted:
        began = time.monotonic()
        print(f"== {name}", flush=True)
        if subprocess.run([sys.executable, "-m", f"bench.{name}"], check=False).returncode != 0:
            failed.append(name)
            continue
        results[name] = json.loads((REPORTS / f"{name}.json").read_text())
        results[name]["seconds"] = round(time.monotonic() - began, 1)
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "report.json").write_text(json.dumps({"machine": machine(), "benchmarks": results}, indent=2) + "\n")
    (REPORTS / "report.md").write_text(markdown(results, failed))
    print((REPORTS / "report.md").read_text())
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
