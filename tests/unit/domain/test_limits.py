"""The README and the Kafka contract state every limit as the domain enforces it."""

from __future__ import annotations

from pathlib import Path

import pytest

from labour_tracker.domain.limits import LIMITS, PAST_LABOURS_KEPT, RECORD_BUDGET, Limit

ROOT = Path(__file__).resolve().parents[3]
DOCUMENTS = ("README.md", "docs/kafka-contract.md")


@pytest.mark.parametrize("document", DOCUMENTS)
@pytest.mark.parametrize("limit", LIMITS, ids=lambda limit: limit.code)
def test_each_limit_is_documented_with_its_code_and_maximum(document: str, limit: Limit) -> None:
    rows = [line for line in (ROOT / document).read_text().splitlines() if f"`{limit.code}`" in line]
    assert any(f"| {limit.maximum:,} |" in row for row in rows), f"{document} has no row for {limit.code}"


@pytest.mark.parametrize("document", DOCUMENTS)
def test_the_record_budget_and_labours_kept_are_documented(document: str) -> None:
    text = (ROOT / document).read_text()
    assert f"{RECORD_BUDGET // 1024} KiB" in text
    assert f"the {PAST_LABOURS_KEPT} before it" in text
