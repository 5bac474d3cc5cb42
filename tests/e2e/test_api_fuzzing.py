"""Property-based fuzzing of the HTTP API (schemathesis) from the OpenAPI document a running worker serves.

Every operation gets requests generated from its documented parameters and bodies, valid and invalid, with a valid
bearer token of a registered birthing person in labour, so most of them reach real code. Each answer must not be a
server error, and must have a documented status code, content type, headers and body. Faust's own pages on the
same port answer a user's token 403, whatever the path.
"""

from __future__ import annotations

import http.client
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from labour_tracker.devstack.worker import WorkerProcess
from tests.support.openapi import PREFIX
from tests.support.stack import Deployment
from tests.support.tokens import authorization, bearer_token

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    ignored_auth,
    missing_required_header,
    unsupported_method,
]
SEED = 20_250_314  # one seed, so a failure found here is found again on every machine


@pytest.fixture(scope="module")
def fuzzed(own_deployment: Deployment) -> tuple[WorkerProcess, str]:
    """A worker of its own, and a token of a birthing person registered on it and in labour."""
    worker = own_deployment.worker
    token = bearer_token(
        own_deployment.stack.signing_key,
        sub=f"fuzzer-{uuid.uuid4().hex[:8]}",
        given_name="Fuzz",
        family_name="Tester",
        email="fuzz@example.com",
        phone_number="+447700900123",
    )
    auth = authorization(token)
    registered = requests.post(f"{worker.url}{PREFIX}/birthing-person/register", headers=auth, timeout=30)
    assert registered.status_code == 201, registered.text
    begun = requests.post(f"{worker.url}{PREFIX}/labour/begin", json={"first_labour": True}, headers=auth, timeout=30)
    assert begun.status_code == 200, begun.text
    return worker, token


@pytest.fixture(scope="module")
def live_document(fuzzed: tuple[WorkerProcess, str]) -> schemathesis.BaseSchema:
    worker, _ = fuzzed
    document = schemathesis.openapi.from_url(f"{worker.url}{PREFIX}/openapi.json", timeout=30)
    document.config.update(base_url=f"{worker.url}{PREFIX}")
    document.config.seed = SEED
    return document


api = schemathesis.pytest.from_fixture("live_document")


@api.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
def test_every_operation_answers_as_documented(case: schemathesis.Case, fuzzed: tuple[WorkerProcess, str]) -> None:
    # The token as the call's own header, so ignored_auth knows it is valid and probes without it and with a bad one.
    worker, token = fuzzed
    answer = case.call(headers=authorization(token), timeout=30)
    if answer.status_code == 503 and not ready(worker):  # rebalancing: as the API says, asked again once it is ready
        until_ready(worker)
        answer = case.call(headers=authorization(token), timeout=30)
    case.validate_response(answer, checks=CHECKS, headers=authorization(token))


def ready(worker: WorkerProcess) -> bool:
    return requests.get(f"{worker.url}{PREFIX}/ready", timeout=30).status_code == 200


def until_ready(worker: WorkerProcess, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while not ready(worker):
        assert time.monotonic() < deadline, f"the worker was not ready again within {within:g} s"
        time.sleep(0.2)


def test_names_from_the_token_too_long_to_keep_are_refused_not_a_server_error(
    fuzzed: tuple[WorkerProcess, str],
) -> None:
    """Names come from the token, which the fuzzer does not vary: a first name over 200 characters answered 500."""
    worker, _ = fuzzed
    token = bearer_token(
        Path(worker.env["LABOUR_TRACKER_LOCAL_SIGNING_KEY"]),
        sub=f"long-name-{uuid.uuid4().hex[:8]}",
        given_name="A" * 201,
        family_name="Tester",
    )
    answer = requests.post(f"{worker.url}{PREFIX}/birthing-person/register", headers=authorization(token), timeout=30)
    assert (answer.status_code, answer.json()["code"]) == (422, "invalid_profile")


FAUST_PAGES = ("/", "/router/", "/table/", "/table/{name}/", "/table/{name}/{key}/", "/stats/", "/graph/", "/{name}/")
segments = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=40)


@given(name=st.one_of(st.sampled_from(["birthing_persons", "subscribers", "notifications"]), segments), key=segments)
@settings(max_examples=40, deadline=None, derandomize=True, database=None)
def test_faust_pages_refuse_a_users_token_and_no_token_whatever_the_path(
    fuzzed: tuple[WorkerProcess, str], name: str, key: str
) -> None:
    worker, token = fuzzed
    for page in FAUST_PAGES:
        url = worker.url + page.format(name=quote(name, safe=""), key=quote(key, safe=""))
        as_user = requests.get(url, headers=authorization(token), timeout=30)
        assert (as_user.status_code, as_user.json()["code"]) == (403, "operators_only"), url
        assert requests.get(url, timeout=30).status_code == 401, url


@pytest.mark.parametrize("path", ["/api/v1/../table/", "/api/v1/%2E%2E/table/", "/docs/../router/", "//table/"])
def test_a_path_that_climbs_out_of_the_api_does_not_reach_faust_pages(
    fuzzed: tuple[WorkerProcess, str], path: str
) -> None:
    worker, token = fuzzed
    connection = http.client.HTTPConnection("127.0.0.1", worker.port, timeout=30)
    try:
        connection.request("GET", path, headers=authorization(token))  # sent as written: no client tidies it
        answer = connection.getresponse()
        assert answer.status in (403, 404), (path, answer.status)
    finally:
        connection.close()
