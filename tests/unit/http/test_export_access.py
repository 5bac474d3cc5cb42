"""Who may download a labour: the person whose labour it is and their birth partners, no other follower."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from labour_tracker.domain.user import User
from labour_tracker.http.export import may_export
from labour_tracker.mirror.reads import LabourHeading

BEAS = LabourHeading("bea", "l-1", True, None, datetime(2026, 3, 1, tzinfo=UTC), None, "early", None, ())


@pytest.mark.parametrize(
    ("reader", "role", "allowed"),
    [
        ("bea", None, True),
        ("pat", "birth_partner", True),
        ("fay", "friends_and_family", False),
        ("zed", None, False),
    ],
)
def test_the_person_and_their_birth_partners_may_export_and_no_one_else(
    reader: str, role: str | None, allowed: bool
) -> None:
    assert may_export(User(reader, "R", "Lee"), BEAS, role) is allowed
