"""Every Kafka client of the service signs in the same way: the Faust app's and each aiokafka client the code opens
take their options from the settings' one KafkaConnection; the password is never shown."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth
from faust.types.enums import ProcessingGuarantee
from pydantic import SecretStr, ValidationError

from labour_tracker.app import LabourTrackerApp
from labour_tracker.settings import KafkaConnection, Settings

PACKAGE = Path(__file__).resolve().parents[2] / "labour_tracker"
PASSWORD = "a-kafka-password-no-one-may-see"
SIGNED_IN = {
    "LABOUR_TRACKER_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
    "LABOUR_TRACKER_KAFKA_USERNAME": "labour-tracker-worker",
    "LABOUR_TRACKER_KAFKA_PASSWORD": PASSWORD,
}


def settings_of(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> Settings:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings()


def test_without_a_mechanism_clients_connect_in_plaintext_as_the_local_stack_runs() -> None:
    assert Settings().kafka.client_options() == {
        "bootstrap_servers": "127.0.0.1:9092",
        "security_protocol": "PLAINTEXT",
    }
    assert Settings().kafka.sasl() is None


def test_with_a_mechanism_every_aiokafka_client_signs_in_with_it(monkeypatch: pytest.MonkeyPatch) -> None:
    options = settings_of(monkeypatch, SIGNED_IN).kafka.client_options()
    assert options == {
        "bootstrap_servers": "127.0.0.1:9092",
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "labour-tracker-worker",
        "sasl_plain_password": PASSWORD,
    }


@pytest.mark.parametrize("signed_in", [False, True])
def test_the_faust_apps_clients_sign_in_as_the_aiokafka_clients_do(
    signed_in: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_of(monkeypatch, SIGNED_IN if signed_in else {})
    app = LabourTrackerApp(settings)
    # What Faust gives its consumer, producer and topic creation.
    faust_options = credentials_to_aiokafka_auth(app.conf.broker_credentials, app.conf.ssl_context)
    expected = settings.kafka.client_options()
    del expected["bootstrap_servers"]
    assert {key: value for key, value in faust_options.items() if value is not None} == expected
    assert PASSWORD not in repr(app.conf.broker_credentials)


def test_the_faust_apps_own_topics_are_under_its_app_id_where_its_user_may_create_them() -> None:
    app = LabourTrackerApp(Settings())
    assert app.conf.reply_to.startswith(f"{app.conf.id}-reply-")


def test_the_worker_uses_no_kafka_transactions_so_its_user_needs_no_transactional_id_acls() -> None:
    """Exactly-once would make Faust's producers transactional: infra/kafka/create-acls.sh would need to allow
    their transactional ids."""
    app = LabourTrackerApp(Settings())
    assert app.conf.processing_guarantee == ProcessingGuarantee.AT_LEAST_ONCE


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"LABOUR_TRACKER_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512"}, "needs LABOUR_TRACKER_KAFKA_USERNAME and _PASSWORD"),
        (
            {"LABOUR_TRACKER_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512", "LABOUR_TRACKER_KAFKA_USERNAME": "worker"},
            "needs LABOUR_TRACKER_KAFKA_USERNAME and _PASSWORD",
        ),
        ({"LABOUR_TRACKER_KAFKA_USERNAME": "worker", "LABOUR_TRACKER_KAFKA_PASSWORD": "x"}, "only with"),
        ({**SIGNED_IN, "LABOUR_TRACKER_KAFKA_SASL_MECHANISM": "PLAIN"}, "SCRAM-SHA-512"),  # PLAIN sends the password
    ],
)
def test_incomplete_or_clear_text_sign_in_is_refused(
    env: dict[str, str], says: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ValidationError, match=says):
        settings_of(monkeypatch, env)


def test_the_password_is_shown_nowhere(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_of(monkeypatch, SIGNED_IN)
    for shown in (repr(settings), str(settings), repr(settings.kafka), str(settings.kafka)):
        assert PASSWORD not in shown
    assert KafkaConnection("k:9092", "SCRAM-SHA-512", "u", SecretStr(PASSWORD)).sasl() == {
        "mechanism": "SCRAM-SHA-512",
        "username": "u",
        "password": PASSWORD,
    }


KAFKA_CLIENTS = {"AIOKafkaConsumer", "AIOKafkaProducer", "AIOKafkaAdminClient", "AIOKafkaClient"}


def kafka_clients_opened(module: Path) -> list[ast.Call]:
    calls = []
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if name in KAFKA_CLIENTS:
                calls.append(node)
    return calls


def test_every_kafka_client_the_code_opens_takes_the_connections_options() -> None:
    opened = {module: kafka_clients_opened(module) for module in sorted(PACKAGE.rglob("*.py"))}
    assert sum(len(calls) for calls in opened.values()) >= 6, "the search finds the clients"
    bare = [
        f"{module.relative_to(PACKAGE)}:{call.lineno}"
        for module, calls in opened.items()
        for call in calls
        if not any(
            keyword.arg is None
            and isinstance(keyword.value, ast.Call)
            and isinstance(keyword.value.func, ast.Attribute)
            and keyword.value.func.attr == "client_options"
            for keyword in call.keywords
        )
    ]
    assert not bare, f"Kafka clients opened without the connection's sign-in: {bare}"
