"""A bad setting stops the worker with one clear line per variable, never a traceback; so do incomplete channel
settings, naming the variables missing."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from labour_tracker.settings import Settings


def test_defaults_describe_a_local_stack() -> None:
    settings = Settings()
    assert (settings.web_host, settings.web_port, settings.topic_prefix) == (
        "127.0.0.1",
        8000,
        "labour_tracker",
    )


def test_each_bad_variable_is_named_on_one_line_and_the_worker_does_not_start() -> None:
    env = {
        **os.environ,
        "LABOUR_TRACKER_WEB_PORT": "eighty",
        "LABOUR_TRACKER_KAFKA_BOOTSTRAP": "no-port-here",
        "LABOUR_TRACKER_TOPIC_PARTITIONS": "0",
    }
    result = subprocess.run(
        [sys.executable, "-m", "labour_tracker", "worker"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert sorted(line.split(":")[1].strip() for line in lines) == [
        "invalid LABOUR_TRACKER_KAFKA_BOOTSTRAP",
        "invalid LABOUR_TRACKER_TOPIC_PARTITIONS",
        "invalid LABOUR_TRACKER_WEB_PORT",
    ]


@pytest.mark.parametrize("store", ["rocksdb://", "memory://"])
def test_both_table_stores_are_accepted(store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LABOUR_TRACKER_STORE", store)
    assert Settings().store == store


def test_mirror_follow_refuses_a_schema_it_would_not_follow() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "labour_tracker", "mirror", "follow", "--schema", "elsewhere"],
        env={**os.environ, "LABOUR_TRACKER_KAFKA_BOOTSTRAP": "127.0.0.1:9"},  # refused before anything connects
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--schema is for rebuild only" in result.stderr


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        ({"twilio_account_sid": "AC1"}, "TWILIO_ACCOUNT_SID needs"),
        ({"sftp_host": "relay", "sftp_password": "x"}, "SFTP_HOST needs LABOUR_TRACKER_SFTP_USERNAME"),
        ({"sftp_host": "relay", "sftp_username": "relay"}, "SFTP_PASSWORD or LABOUR_TRACKER_SFTP_CLIENT_KEY"),
    ],
)
def test_incomplete_channel_settings_are_refused(settings: dict[str, str], says: str) -> None:
    with pytest.raises(ValidationError, match=says):
        Settings(**settings)  # type: ignore[arg-type]


def test_the_worker_names_the_missing_variables_on_one_line() -> None:
    env = {**os.environ, "LABOUR_TRACKER_SFTP_HOST": "relay.example.org"}
    result = subprocess.run(
        [sys.executable, "-m", "labour_tracker", "worker"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip() == "labour-tracker: LABOUR_TRACKER_SFTP_HOST needs LABOUR_TRACKER_SFTP_USERNAME too"


def test_with_an_issuer_the_worker_refuses_to_start_with_the_public_subscription_secret() -> None:
    env = {**os.environ, "LABOUR_TRACKER_OIDC_ISSUER": "https://id.example.org/realms/labour-tracker"}
    env.pop("LABOUR_TRACKER_SUBSCRIPTION_TOKEN_SECRET", None)
    result = subprocess.run(
        [sys.executable, "-m", "labour_tracker", "worker"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "SUBSCRIPTION_TOKEN_SECRET is the public default" in result.stderr

    own = Settings(oidc_issuer=env["LABOUR_TRACKER_OIDC_ISSUER"], subscription_token_secret="s" * 32)
    assert own.subscription_token_secret == "s" * 32
    assert Settings().oidc_issuer is None, "locally, without an issuer, the default serves"
