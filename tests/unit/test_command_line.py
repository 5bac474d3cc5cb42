"""The command line: commands that need no worker start without Faust, aiohttp or the worker's modules."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import jwt
import pytest

from labour_tracker.identity.claims import claims_to_user
from labour_tracker.identity.local_key import load_or_create_local_key
from tests.support.tokens import AUDIENCE

WORKER_ONLY = ("faust", "mode", "aiokafka", "aiohttp", "labour_tracker.worker", "labour_tracker.app")


def imported_by(argv: list[str], env: dict[str, str]) -> set[str]:
    """The modules `labour-tracker argv` imports (Python's own import-time report)."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "labour_tracker", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = [line for line in result.stderr.splitlines() if line.startswith("import time:")]
    return {line.rsplit("|", 1)[1].strip() for line in lines[1:]}  # the first is the report's heading


@pytest.mark.parametrize("argv", [["--help"], ["check", "--help"], ["mirror", "--help"], ["token", "--sub", "ann"]])
def test_commands_that_need_no_worker_import_no_faust(argv: list[str], tmp_path: Path) -> None:
    env = {**os.environ, "LABOUR_TRACKER_LOCAL_SIGNING_KEY": str(tmp_path / "key.pem")}
    modules = imported_by(argv, env)
    assert "labour_tracker.__main__" in modules or "click" in modules, "the report names what was imported"
    assert not {each for each in modules if each.split(".")[0] in WORKER_ONLY or each in WORKER_ONLY}


def test_the_help_names_the_worker_and_the_projects_own_commands() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "labour_tracker", "--help"], capture_output=True, text=True, timeout=60, check=True
    )
    commands = result.stdout.split("Commands:")[1].split()
    assert {"worker", "token", "mirror", "check"} <= set(commands)


@pytest.mark.parametrize(("flags", "operator"), [([], False), (["--operator"], True)])
def test_a_local_token_names_an_operator_only_when_asked(flags: list[str], operator: bool, tmp_path: Path) -> None:
    key = tmp_path / "key.pem"
    env = {**os.environ, "LABOUR_TRACKER_LOCAL_SIGNING_KEY": str(key)}
    printed = subprocess.run(
        [sys.executable, "-m", "labour_tracker", "token", "--sub", "ann", *flags],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    ).stdout.strip()  # fmt: skip
    claims = jwt.decode(printed, load_or_create_local_key(key).public_key(), algorithms=["RS256"], audience=AUDIENCE)
    assert claims_to_user(claims).operator is operator
