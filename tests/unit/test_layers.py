"""Who may import whom: the API reaches the worker through its ports, the mirror needs neither the API nor the
command handler, and the Faust app knows nothing of what the worker wires onto it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "labour_tracker"


def imports_of(module: Path) -> set[str]:
    """Every labour_tracker module `module` imports, at its top or inside a function."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
        elif isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
    return {name for name in names if name.startswith("labour_tracker")}


def modules(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py")) if folder else []


@pytest.mark.parametrize(
    ("importers", "forbidden"),
    [
        ("http", ("labour_tracker.agents", "labour_tracker.tables", "labour_tracker.engine", "labour_tracker.worker",
                  "labour_tracker.app")),
        ("mirror", ("labour_tracker.http", "labour_tracker.engine.handler", "labour_tracker.agents",
                    "labour_tracker.worker")),
        ("engine", ("labour_tracker.agents", "labour_tracker.http", "labour_tracker.worker")),
        ("domain", ("labour_tracker.",)),
        ("messages", ("labour_tracker.tables", "labour_tracker.agents", "labour_tracker.engine",
                      "labour_tracker.http")),
        ("identity", ("labour_tracker.http", "labour_tracker.app", "labour_tracker.worker")),
    ],
)  # fmt: skip
def test_a_layer_imports_nothing_it_must_not_know(importers: str, forbidden: tuple[str, ...]) -> None:
    found = modules(importers)
    assert found, f"no modules under labour_tracker/{importers}"
    allowed_within = f"labour_tracker.{importers}"
    breaches = {
        f"{module.relative_to(PACKAGE)} imports {name}"
        for module in found
        for name in imports_of(module)
        if name.startswith(forbidden) and not name.startswith(allowed_within)
    }
    assert not breaches


def test_the_faust_app_imports_only_its_settings_and_transport() -> None:
    assert {name.rsplit(".", 1)[0] if name.count(".") > 1 else name for name in imports_of(PACKAGE / "app.py")} <= {
        "labour_tracker.settings",
        "labour_tracker.transport",
    }
