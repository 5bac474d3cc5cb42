"""The routes' declarations: what each documents."""

from __future__ import annotations

from labour_tracker.http.routes import ROUTES


def test_every_command_route_documents_a_bad_or_reused_idempotency_key() -> None:
    for route in ROUTES:
        if route.command:
            assert {400, 409} <= set(route.statuses), route.path


def test_every_operation_has_an_id_of_its_own_though_a_view_serves_two_routes() -> None:
    operations = [route.operation for route in ROUTES]

    assert len(set(operations)) == len(operations)
