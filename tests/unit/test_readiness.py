"""Readiness: a process is ready only when Kafka, PostgreSQL and each of its parts are, and says which is not."""

from __future__ import annotations

import json
from typing import Any

from labour_tracker.probes import readiness


def answered(kafka: bool, postgres: bool, **parts: tuple[bool, str]) -> tuple[int, Any]:
    response = readiness(kafka, postgres, **parts)
    assert isinstance(response.body, bytes)
    return response.status, json.loads(response.body)


def test_a_worker_whose_live_feed_is_starting_is_not_ready() -> None:
    assert answered(True, True, worker=(True, "serving"), live=(False, "following")) == (
        503,
        {"status": "not_ready", "checks": {"kafka": "up", "postgres": "up", "worker": "serving", "live": "starting"}},
    )


def test_a_worker_is_ready_when_its_dependencies_answer_and_every_part_works() -> None:
    assert answered(True, True, worker=(True, "serving"), live=(True, "following")) == (
        200,
        {"status": "ready", "checks": {"kafka": "up", "postgres": "up", "worker": "serving", "live": "following"}},
    )


def test_a_dependency_down_is_named_and_makes_the_process_not_ready() -> None:
    assert answered(False, True, mirror=(True, "following")) == (
        503,
        {"status": "not_ready", "checks": {"kafka": "down", "postgres": "up", "mirror": "following"}},
    )
