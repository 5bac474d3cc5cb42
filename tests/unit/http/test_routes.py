"""The routes' declarations: what each documents."""

from __future__ import annotations

from labour_tracker.http.routes import ROUTES


def test_every_command_route_documents_a_bad_or_reused_idempotency_key() -> None:
    for route in ROUTES:
        if route.command:
            assert {400, 409} <= set(route.statuses), route.path
