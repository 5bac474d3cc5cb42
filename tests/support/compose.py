"""docker-compose.yml as compose reads it: the `.env` infra/compose-env.sh writes, variables interpolated, YAML merge
keys resolved. Docker cannot run here; the tests read the file, and run its services' scripts, from this."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"

_VARIABLE = re.compile(r"\$(?:\$|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\})")


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's variable syntax: ${X}, ${X:-default}, ${X-default}, ${X:?error}, ${X?error}, and $$ for $."""

    def value(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        if name is None:
            return "$"
        current = env.get(name)
        if op in (":-", ":?") and current == "":
            current = None
        if current is not None:
            return current
        if op in (":?", "?"):
            raise AssertionError(f"compose would refuse to start: {name} is required ({arg})")
        return arg if op in (":-", "-") else ""

    return _VARIABLE.sub(value, text)


def dotenv(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if line and not line.startswith("#"))
    return {name: value for name, value in pairs}


def fresh_env_file(checkout: Path) -> dict[str, str]:
    """The .env that infra/compose-env.sh writes from .env.example in a fresh checkout (the directory `checkout`)."""
    (checkout / "infra").mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / ".env.example", checkout)
    shutil.copy(ROOT / "infra" / "compose-env.sh", checkout / "infra")
    subprocess.run(["bash", str(checkout / "infra" / "compose-env.sh")], check=True, capture_output=True)
    return dotenv(checkout / ".env")


def load_compose(env: dict[str, str]) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(interpolate(COMPOSE_FILE.read_text(), env))
    return loaded


def service_env(compose: dict[str, Any], service: str) -> dict[str, str]:
    """A service's environment as its process sees it: every value text."""
    return {name: str(value) for name, value in compose["services"][service]["environment"].items()}
