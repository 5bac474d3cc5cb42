"""Property-based fuzzing of the HTTP API (schemathesis) from the OpenAPI document a running worker serves.

Every operation gets requests generated from its documented parameters and bodies, valid and invalid, with a valid
bearer token of a registered birthing person in labour, so most of them reach real code. Each answer must not be a
server error, and must have a documented status code, content type, headers and body.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
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
    _, token = fuzzed
    case.call_and_validate(headers=authorization(token), checks=CHECKS, timeout=30)


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
