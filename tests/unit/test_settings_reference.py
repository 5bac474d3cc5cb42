"""docs/configuration.md is what the settings model and .env.example generate, and names every setting."""

from __future__ import annotations

import shutil
from pathlib import Path

from labour_tracker import settings_reference
from labour_tracker.settings import ENV_PREFIX, Settings

ROOT = settings_reference.ROOT


def test_the_committed_reference_is_up_to_date() -> None:
    assert settings_reference.main(["--check"]) == 0


def test_every_setting_is_documented_with_its_default_and_meaning() -> None:
    text = (ROOT / settings_reference.REFERENCE_FILE).read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip(" `"): line for line in text.splitlines() if line.startswith("| `")}
    for name, field in Settings.model_fields.items():
        row = rows[f"{ENV_PREFIX}{name.upper()}"]
        assert field.description and field.description in row
    assert "| `LABOUR_TRACKER_TOPIC_PARTITIONS` | integer, ≥ 1, ≤ 1024 | `4` |" in text
    assert "| `LABOUR_TRACKER_OIDC_ISSUER` | text | unset |" in text
    assert "| `LABOUR_TRACKER_STORE` | one of `rocksdb://`, `memory://` | `rocksdb://` |" in text
    assert "| `TOPIC_PARTITIONS` | `8` |" in text


def test_the_check_fails_on_a_stale_file_and_regenerating_fixes_it(tmp_path: Path) -> None:
    shutil.copy(ROOT / settings_reference.COMPOSE_ENV_FILE, tmp_path)
    assert settings_reference.main(["--check", "--root", str(tmp_path)]) == 1  # no file yet
    assert settings_reference.main(["--root", str(tmp_path)]) == 0
    assert settings_reference.main(["--check", "--root", str(tmp_path)]) == 0
    with (tmp_path / ".env.example").open("a") as env:
        env.write("# A new knob.\nNEW_KNOB=1\n")
    assert settings_reference.main(["--check", "--root", str(tmp_path)]) == 1
