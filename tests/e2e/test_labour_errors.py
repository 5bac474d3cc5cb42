"""Every error of SPEC §3 for the birthing person and their labour, through HTTP on a real worker.

Each refusal is checked for its status, its stable `code` and its exact shape: `{"description", "code"}`, plus
`details` for request validation. Every response this file provokes is recorded, and the last test makes sure
none of them was a 500.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from labour_tracker.devstack.worker import WorkerProcess
from labour_tracker.http.routes import ROUTES
from tests.support.api import Caller, MakeCaller, Response, caller_factory, iso
from tests.support.stack import Stack

SEEN: list[tuple[str, str, int]] = []  # (method, path, status) of every response in this file


class RecordingCaller(Caller):
    async def call(
        self, method: str, path: str, json: Any = None, *, headers: dict[str, str] | None = None, data: Any = None
    ) -> Response:
        response = await super().call(method, path, json, headers=headers, data=data)
        SEEN.append((method, path, response.status))
        return response


@pytest.fixture
def person(person: MakeCaller) -> MakeCaller:
    """The shared worker's callers, with every response they get recorded for the final sweep."""

    def make(*args: Any, **kwargs: Any) -> Caller:
        caller = person(*args, **kwargs)
        return RecordingCaller(caller.session, caller.base_url, caller.token, caller.id)

    return make


def now() -> datetime:
    return datetime.now(UTC)


def assert_error(response: Response, status: int, code: str) -> None:
    """A refusal of exactly the shape `{"description", "code"}`."""
    assert response.status == status, response.body
    assert response.headers["Content-Type"].startswith("application/json")
    assert isinstance(response.body, dict) and set(response.body) == {"description", "code"}, response.body
    assert response.body["code"] == code, response.body
    assert isinstance(response.body["description"], str) and response.body["description"].strip()


def assert_validation_error(response: Response, loc: list[str | int], kind: str | None = None) -> None:
    """A 422 `validation_error` whose `details` name the offending field (`loc`) and, given, the problem type."""
    assert response.status == 422, response.body
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.body
    assert isinstance(body, dict) and set(body) == {"description", "code", "details"}, body
    assert body["code"] == "validation_error"
    assert isinstance(body["description"], str) and body["description"].strip()
    assert isinstance(body["details"], list) and body["details"], body
    for problem in body["details"]:
        assert set(problem) == {"loc", "msg", "type"}, problem
        assert isinstance(problem["msg"], str) and isinstance(problem["type"], str)
    assert any(p["loc"] == loc and (kind is None or p["type"] == kind) for p in body["details"]), body["details"]


def ok(response: Response) -> Response:
    assert response.status in (200, 201), response.body
    return response


async def registered(person: MakeCaller) -> Caller:
    caller = person()
    ok(await caller.post("/birthing-person/register"))
    return caller


async def in_labour(person: MakeCaller, *, began: timedelta = timedelta(hours=1)) -> Caller:
    caller = await registered(person)
    ok(await caller.post("/labour/begin", {"first_labour": True, "start_time": iso(now() - began)}))
    return caller


async def mid_contraction(person: MakeCaller) -> Caller:
    caller = await in_labour(person)
    ok(await caller.post("/labour/contraction/start", {"start_time": iso(now() - timedelta(seconds=30))}))
    return caller


async def active_labour(caller: Caller) -> dict[str, Any]:
    labour: dict[str, Any] = ok(await caller.get("/labour/active")).body["labour"]
    return labour


# --- SPEC §3: the domain's refusals -------------------------------------------------------------------------------


async def test_registering_twice_is_a_409_conflict(person: MakeCaller) -> None:
    alice = await registered(person)
    assert_error(await alice.post("/birthing-person/register"), 409, "birthing_person_already_registered")


EVERY_ENDPOINT_OF_A_PERSON = [
    ("POST", "/labour/begin", {"first_labour": True}),
    ("POST", "/labour/contraction/start", {"intensity": 5}),
    ("PUT", "/labour/contraction/end", {"intensity": 5}),
    ("PUT", "/labour/complete", {}),
    ("GET", "/labour/active", None),
    ("GET", "/labour/active/summary", None),
    ("GET", "/birthing-person/", None),
    ("GET", "/birthing-person/subscription-token", None),
    ("POST", "/birthing-person/subscription-token/rotate", None),
]


@pytest.mark.parametrize(("method", "path", "body"), EVERY_ENDPOINT_OF_A_PERSON)
async def test_every_endpoint_is_404_for_an_unregistered_person_and_registers_nobody(
    person: MakeCaller, method: str, path: str, body: Any
) -> None:
    stranger = person()
    assert_error(await stranger.call(method, path, body), 404, "birthing_person_not_found")
    assert_error(await stranger.get("/birthing-person/"), 404, "birthing_person_not_found")


async def test_beginning_labour_while_one_is_active_is_a_400(person: MakeCaller) -> None:
    alice = await in_labour(person)
    before = await active_labour(alice)
    assert_error(await alice.post("/labour/begin", {"first_labour": False}), 400, "labour_already_active")
    after = await active_labour(alice)
    assert (after["id"], after["first_labour"], after["start_time"]) == (
        before["id"],
        before["first_labour"],
        before["start_time"],
    )


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/labour/contraction/start", {"intensity": 5}),
        ("PUT", "/labour/contraction/end", {"intensity": 5}),
        ("PUT", "/labour/complete", {}),
    ],
    ids=["start", "end", "complete"],
)
async def test_a_labour_command_without_an_active_labour_is_404(
    person: MakeCaller, method: str, path: str, body: Any
) -> None:
    alice = await registered(person)
    assert_error(await alice.call(method, path, body), 404, "labour_not_found")


async def test_starting_a_contraction_after_the_labour_completed_is_404(person: MakeCaller) -> None:
    alice = await in_labour(person)
    ok(await alice.put("/labour/complete", {}))
    assert_error(await alice.post("/labour/contraction/start", {}), 404, "labour_not_found")


@pytest.mark.parametrize("path", ["/labour/active", "/labour/active/summary"])
async def test_reading_the_active_labour_without_one_is_404_before_and_after_a_labour(
    person: MakeCaller, path: str
) -> None:
    alice = await registered(person)
    assert_error(await alice.get(path), 404, "labour_not_found")
    ok(await alice.post("/labour/begin", {"first_labour": True}))
    ok(await alice.get(path))
    ok(await alice.put("/labour/complete", {}))
    assert_error(await alice.get(path), 404, "labour_not_found")


async def test_starting_a_contraction_while_one_is_active_is_a_400(person: MakeCaller) -> None:
    alice = await mid_contraction(person)
    assert_error(await alice.post("/labour/contraction/start", {"intensity": 3}), 400, "contraction_already_active")
    assert len((await active_labour(alice))["contractions"]) == 1


async def test_ending_a_contraction_when_none_is_active_is_a_400(person: MakeCaller) -> None:
    alice = await in_labour(person)
    assert_error(await alice.put("/labour/contraction/end", {"intensity": 5}), 400, "contraction_not_active")
    ok(await alice.post("/labour/contraction/start", {"start_time": iso(now() - timedelta(minutes=2))}))
    ok(await alice.put("/labour/contraction/end", {"intensity": 5}))
    assert_error(await alice.put("/labour/contraction/end", {"intensity": 5}), 400, "contraction_not_active")


async def test_a_contraction_cannot_start_before_the_labour_began(person: MakeCaller) -> None:
    alice = await in_labour(person, began=timedelta(minutes=30))
    started = await alice.post("/labour/contraction/start", {"start_time": iso(now() - timedelta(minutes=31))})
    assert_error(started, 400, "contraction_starts_before_labour")


async def test_a_contraction_cannot_start_before_the_previous_one_ended(person: MakeCaller) -> None:
    alice = await in_labour(person)
    previous_start = now() - timedelta(minutes=10)
    ok(await alice.post("/labour/contraction/start", {"start_time": iso(previous_start)}))
    ok(
        await alice.put(
            "/labour/contraction/end", {"intensity": 6, "end_time": iso(previous_start + timedelta(seconds=60))}
        )
    )
    overlapping = {"start_time": iso(previous_start + timedelta(seconds=30))}
    assert_error(
        await alice.post("/labour/contraction/start", overlapping), 400, "contraction_starts_before_previous_ended"
    )


Setup = Callable[[MakeCaller], Awaitable[Caller]]
# Each command that takes a client time: method, path, a body it would apply, the time's field, the state it needs.
TIMED_COMMANDS: dict[str, tuple[str, str, dict[str, Any], str, Setup]] = {
    "begin": ("POST", "/labour/begin", {"first_labour": True}, "start_time", registered),
    "start": ("POST", "/labour/contraction/start", {"intensity": 4}, "start_time", in_labour),
    "end": ("PUT", "/labour/contraction/end", {"intensity": 4}, "end_time", mid_contraction),
    "complete": ("PUT", "/labour/complete", {}, "end_time", in_labour),
}


@pytest.mark.parametrize("case", TIMED_COMMANDS)
async def test_a_time_ten_minutes_ahead_is_beyond_the_clock_skew_and_refused(person: MakeCaller, case: str) -> None:
    method, path, body, field, setup = TIMED_COMMANDS[case]
    caller = await setup(person)
    refused = await caller.call(method, path, {**body, field: iso(now() + timedelta(minutes=10))})
    assert_error(refused, 400, "time_in_future")


async def test_a_time_a_few_seconds_ahead_is_within_the_clock_skew_and_accepted(person: MakeCaller) -> None:
    alice = await registered(person)
    ok(await alice.post("/labour/begin", {"first_labour": True, "start_time": iso(now() + timedelta(seconds=15))}))


@pytest.mark.parametrize("after_start", [timedelta(seconds=-1), timedelta(0)], ids=["before", "at"])
async def test_a_contraction_cannot_end_before_or_when_it_started(person: MakeCaller, after_start: timedelta) -> None:
    alice = await in_labour(person)
    started_at = now() - timedelta(minutes=1)
    ok(await alice.post("/labour/contraction/start", {"start_time": iso(started_at)}))
    ended = await alice.put("/labour/contraction/end", {"intensity": 5, "end_time": iso(started_at + after_start)})
    assert_error(ended, 400, "contraction_ends_before_start")
    assert (await active_labour(alice))["contractions"][0]["end_time"] is None


@pytest.mark.parametrize("intensity", [0, 11, -1, 1000])
@pytest.mark.parametrize("command", ["start", "end"])
async def test_an_intensity_outside_1_to_10_is_422_and_changes_nothing(
    person: MakeCaller, command: str, intensity: int
) -> None:
    if command == "start":
        alice = await in_labour(person)
        refused = await alice.post("/labour/contraction/start", {"intensity": intensity})
        assert_error(refused, 422, "intensity_out_of_range")
        assert (await active_labour(alice))["contractions"] == []
    else:
        alice = await mid_contraction(person)
        refused = await alice.put("/labour/contraction/end", {"intensity": intensity})
        assert_error(refused, 422, "intensity_out_of_range")
        assert (await active_labour(alice))["contractions"][0]["end_time"] is None


async def test_completing_labour_during_a_contraction_is_a_400(person: MakeCaller) -> None:
    alice = await mid_contraction(person)
    assert_error(await alice.put("/labour/complete", {}), 400, "contraction_in_progress")
    assert (await active_labour(alice))["end_time"] is None


async def test_a_labour_cannot_end_before_it_began_or_before_its_last_contraction_ended(person: MakeCaller) -> None:
    alice = await in_labour(person, began=timedelta(minutes=30))
    early = {"end_time": iso(now() - timedelta(minutes=31))}
    assert_error(await alice.put("/labour/complete", early), 400, "labour_ends_before_start")
    ok(await alice.post("/labour/contraction/start", {"start_time": iso(now() - timedelta(minutes=5))}))
    ok(await alice.put("/labour/contraction/end", {"intensity": 5, "end_time": iso(now() - timedelta(minutes=4))}))
    mid_contraction_end = {"end_time": iso(now() - timedelta(minutes=4, seconds=30))}
    assert_error(await alice.put("/labour/complete", mid_contraction_end), 400, "labour_ends_before_last_contraction")


# --- Malformed requests --------------------------------------------------------------------------------------------

BODY_ROUTES = [
    ("POST", "/labour/plan"),
    ("POST", "/labour/begin"),
    ("POST", "/labour/contraction/start"),
    ("PUT", "/labour/contraction/end"),
    ("PUT", "/labour/complete"),
]
JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
@pytest.mark.parametrize(
    "raw",
    [b"{not json", b'{"first_labour": tru', b"\xff\xfe{}", b"[" * 5000, b'{"notes": "\\ud800"}'],
    ids=["garbage", "truncated", "not_utf8", "too_deep", "lone_surrogate"],
)
async def test_a_body_that_is_not_json_is_400_invalid_json(
    person: MakeCaller, method: str, path: str, raw: bytes
) -> None:
    assert_error(await person().call(method, path, data=raw, headers=JSON), 400, "invalid_json")


@pytest.mark.parametrize(
    ("method", "path", "body", "loc", "kind"),
    [
        ("POST", "/labour/plan", {"first_labour": True}, ["due_date"], "missing"),
        ("POST", "/labour/plan", {"due_date": "soon", "first_labour": True}, ["due_date"], None),
        (
            "POST",
            "/labour/plan",
            {"due_date": "2026-12-24", "first_labour": True, "name": "x" * 101},
            ["name"],
            "string_too_long",
        ),
        ("POST", "/labour/begin", {"first_labour": "maybe"}, ["first_labour"], "bool_parsing"),
        ("POST", "/labour/begin", {"first_labour": True, "start_time": "yesterday"}, ["start_time"], None),
        ("POST", "/labour/begin", None, [], "model_type"),
        ("POST", "/labour/contraction/start", [], [], "model_type"),
        ("POST", "/labour/contraction/start", {"intensity": "seven"}, ["intensity"], "int_parsing"),
        ("POST", "/labour/contraction/start", {"notes": 42}, ["notes"], "string_type"),
        ("POST", "/labour/contraction/start", {"notes": "x" * 2001}, ["notes"], "string_too_long"),
        ("PUT", "/labour/contraction/end", {}, ["intensity"], "missing"),
        ("PUT", "/labour/contraction/end", {"intensity": 5.5}, ["intensity"], "int_from_float"),
        ("PUT", "/labour/complete", {"notes": ["a", "list"]}, ["notes"], "string_type"),
        ("PUT", "/labour/complete", {"end_time": True}, ["end_time"], None),
    ],
    ids=[
        "plan_missing_due_date",
        "plan_due_date_not_a_date",
        "plan_name_too_long",
        "begin_first_labour_not_bool",
        "begin_start_time_not_a_time",
        "begin_null_body",
        "start_array_body",
        "start_intensity_not_int",
        "start_notes_not_text",
        "start_notes_too_long",
        "end_missing_intensity",
        "end_intensity_fractional",
        "complete_notes_list",
        "complete_end_time_bool",
    ],
)
async def test_a_body_of_the_wrong_shape_is_422_validation_error_with_details(
    person: MakeCaller, method: str, path: str, body: Any, loc: list[str | int], kind: str | None
) -> None:
    raw = b"null" if body is None else None
    answer = await person().call(method, path, body, data=raw, headers=JSON if raw else None)
    assert_validation_error(answer, loc, kind)


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
async def test_an_unknown_field_is_422_validation_error_naming_it(person: MakeCaller, method: str, path: str) -> None:
    body = {"first_labour": True, "intensity": 5, "birthing_person_id": "someone-else"}
    if path != "/labour/begin":
        del body["first_labour"]
    assert_validation_error(await person().call(method, path, body), ["birthing_person_id"], "extra_forbidden")


@pytest.mark.parametrize("case", TIMED_COMMANDS)
async def test_a_time_without_a_timezone_is_422_even_when_the_command_would_apply(
    person: MakeCaller, case: str
) -> None:
    method, path, body, field, setup = TIMED_COMMANDS[case]
    caller = await setup(person)
    naive = (now() - timedelta(seconds=10)).replace(tzinfo=None).isoformat()
    assert_validation_error(await caller.call(method, path, {**body, field: naive}), [field], "timezone_aware")


async def test_a_body_over_64_kib_is_413_and_one_just_under_is_read(person: MakeCaller) -> None:
    alice = await in_labour(person)
    too_big = b'{"notes": "' + b"x" * (64 * 1024) + b'"}'
    assert_error(await alice.post("/labour/contraction/start", data=too_big, headers=JSON), 413, "payload_too_large")
    assert (await active_labour(alice))["contractions"] == []
    padded = b'{"intensity": 4}' + b" " * (60 * 1024)  # under the limit, valid JSON: applied
    ok(await alice.post("/labour/contraction/start", data=padded, headers=JSON))
    assert len((await active_labour(alice))["contractions"]) == 1


@pytest.mark.parametrize("key", ["has space", "semi;colon", "slash/no", "a" * 129])
async def test_a_bad_idempotency_key_is_400_and_applies_nothing(person: MakeCaller, key: str) -> None:
    stranger = person()
    header = {"Idempotency-Key": key}
    assert_error(await stranger.post("/birthing-person/register", headers=header), 400, "invalid_idempotency_key")
    assert_error(await stranger.get("/birthing-person/"), 404, "birthing_person_not_found")


async def test_a_bad_command_id_in_the_body_is_422(person: MakeCaller) -> None:
    alice = await registered(person)
    answer = await alice.post("/labour/begin", {"first_labour": True, "command_id": "not a valid id"})
    assert_validation_error(answer, ["command_id"], "string_pattern_mismatch")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/labour/begin", "POST"),
        ("PUT", "/labour/contraction/start", "POST"),
        ("POST", "/labour/contraction/end", "PUT"),
        ("PATCH", "/labour/complete", "PUT"),
        ("DELETE", "/labour/active", "GET,HEAD"),
        ("POST", "/labour/active/summary", "GET,HEAD"),
        ("POST", "/health", "GET,HEAD"),
    ],
)
async def test_a_wrong_method_is_405_with_allow(person: MakeCaller, method: str, path: str, allowed: str) -> None:
    answer = await person().call(method, path)
    assert_error(answer, 405, "method_not_allowed")
    assert answer.headers["Allow"] == allowed


@pytest.mark.parametrize(
    "path", ["/nope", "", "/", "/labour", "/birthing-person", "/labour/active/summary/more", "/labour/begin/../x"]
)
async def test_an_unknown_path_under_the_api_is_404_json_with_a_token_and_401_without(
    person: MakeCaller, worker: WorkerProcess, http: aiohttp.ClientSession, path: str
) -> None:
    assert_error(await person().get(path), 404, "not_found")
    async with http.get(f"{worker.url}/api/v1{path}") as answer:
        body = await answer.json()
        SEEN.append(("GET", path, answer.status))
        assert (answer.status, body["code"]) == (401, "unauthenticated")
        assert set(body) == {"description", "code"}


# --- Times at the edge of the calendar ---------------------------------------------------------------------------


@pytest.mark.parametrize("case", TIMED_COMMANDS)
async def test_a_time_that_overflows_when_converted_to_utc_is_refused_not_a_500(
    stack: Stack, worker: WorkerProcess, http: aiohttp.ClientSession, case: str
) -> None:
    method, path, body, field, setup = TIMED_COMMANDS[case]
    caller = await setup(caller_factory(stack, http, worker.url))
    answer = await caller.call(method, path, {**body, field: "0001-01-01T00:00:00+14:00"})
    assert (answer.status, answer.body["code"]) == (400, "time_out_of_range"), answer.body
    assert set(answer.body) == {"description", "code"}


# --- The sweep: nothing is ever a 500 ------------------------------------------------------------------------------

HOSTILE_BODIES: list[bytes] = [
    b"",
    b"null",
    b"[]",
    b'"text"',
    b"123",
    b"1e999",
    b"{}",
    b'{"a":',
    b"\x00",
    b"{" * 3000,
    b'{"intensity": 100000000000000000000000000000000000000}',
    b'{"intensity": -0}',
    b'{"intensity": true}',
    b'{"first_labour": true, "start_time": "9999-12-31T23:59:59-14:00"}',
    b'{"first_labour": true, "start_time": "1970-01-01T00:00:00Z"}',
    b'{"start_time": "0000-01-01T00:00:00Z"}',
    b'{"end_time": "2024-02-30T00:00:00Z", "intensity": 5}',
    '{"notes": "\U0001f476 \u202e", "intensity": 5}'.encode(),
    b'{"notes": "nul \\u0000 inside", "intensity": 5}',
    b'{"command_id": "' + b"k" * 500 + b'"}',
    b'{"first_labour": true, "first_labour": false}',
]


async def test_no_response_in_this_file_was_a_server_error(person: MakeCaller) -> None:
    alice, stranger = await in_labour(person), person()
    for caller in (alice, stranger):
        for route in ROUTES:
            for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
                await caller.call(method, route.path)
        for method, path in BODY_ROUTES:
            for raw in HOSTILE_BODIES:
                await caller.call(method, path, data=raw, headers=JSON)
            await caller.call(method, path, {}, headers={"Idempotency-Key": "k" * 1000})
    server_errors = [seen for seen in SEEN if seen[2] >= 500]
    assert len(SEEN) > 200
    assert server_errors == []
