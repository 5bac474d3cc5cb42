"""docker-compose.yml, the Keycloak realm and the Dockerfile agree with the code: the settings model, the topics the
worker declares, the issuer and audience it checks, and the versions the local stack runs.

Docker cannot run here, so these read the files as compose would: `.env` made by infra/compose-env.sh, variables
interpolated, YAML merge keys resolved.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from labour_tracker.devstack.kafka import kafka_version
from labour_tracker.devstack.keycloak import REALM_FILE, keycloak_version
from labour_tracker.http.routes import ROUTES
from labour_tracker.http.server import API_PREFIX
from labour_tracker.probes import metrics as metrics_view
from labour_tracker.settings import ENV_PREFIX, Settings
from tests.fakes.worker import built_worker
from tests.support.compose import dotenv, fresh_env_file, interpolate, load_compose

ROOT = Path(__file__).resolve().parents[2]
# Without these a worker would quietly use its local defaults (loopback Kafka, local tokens, the development secret).
REQUIRED_IN_PRODUCTION = {
    "kafka_bootstrap",
    "database_url",
    "oidc_issuer",
    "oidc_audience",
    "subscription_token_secret",
    "data_dir",
    "web_host",
    "web_port",
}


@pytest.fixture(scope="module")
def env_file(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The .env that infra/compose-env.sh writes from .env.example on a fresh checkout."""
    return fresh_env_file(tmp_path_factory.mktemp("checkout"))


@pytest.fixture(scope="module")
def compose(env_file: dict[str, str]) -> dict[str, Any]:
    return load_compose(env_file)


@pytest.fixture(scope="module")
def realm(env_file: dict[str, str]) -> dict[str, Any]:
    """The realm as Keycloak imports it: its ${...} placeholders filled from the keycloak service's environment."""
    keycloak_env = yaml.safe_load(interpolate((ROOT / "docker-compose.yml").read_text(), env_file))["services"][
        "keycloak"
    ]["environment"]
    text = re.sub(r"\$\{([A-Z_]+)\}", lambda m: keycloak_env[m[1]], REALM_FILE.read_text())
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


def workers(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: service for name, service in compose["services"].items() if "build" in service}


def worker_env(service: dict[str, Any]) -> dict[str, str]:
    return {name: str(value) for name, value in service["environment"].items()}


def field_of(variable: str) -> str:
    return variable.removeprefix(ENV_PREFIX).lower()


def published(service: dict[str, Any]) -> dict[int, int]:
    """Container port -> host port."""
    ports = {}
    for each in service.get("ports", []):
        *_, host, container = str(each).split(":")
        ports[int(container)] = int(host)
    return ports


def test_two_or_more_workers_each_with_its_own_state_address_and_health_check(compose: dict[str, Any]) -> None:
    found = workers(compose)
    assert len(found) >= 2
    hosts = set()
    for name, service in found.items():
        env = worker_env(service)
        hosts.add(env["LABOUR_TRACKER_WEB_HOST"])
        # Requests are forwarded to a partition's owner at the address it announces: its name on the network.
        assert env["LABOUR_TRACKER_WEB_HOST"] in (name, service.get("hostname"))
        assert service["restart"] in ("always", "unless-stopped", "on-failure")
        state = [v.split(":") for v in service["volumes"] if v.split(":")[1] == env["LABOUR_TRACKER_DATA_DIR"]]
        assert len(state) == 1 and state[0][0] in compose["volumes"], f"{name}: RocksDB state needs a named volume"
        check = " ".join(service["healthcheck"]["test"])
        assert "/api/v1/ready" in check and "LABOUR_TRACKER_WEB_PORT" in check
        assert env["LABOUR_TRACKER_STORE"] == "rocksdb://"
    assert len(hosts) == len(found)
    volumes = [v.split(":")[0] for service in found.values() for v in service["volumes"] if "state" in v]
    assert len(set(volumes)) == len(found), "two workers must never share RocksDB state"


def test_every_worker_variable_is_a_setting_and_the_settings_model_accepts_them(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, service in workers(compose).items():
        env = worker_env(service)
        unknown = {variable for variable in env if field_of(variable) not in Settings.model_fields}
        assert not unknown, f"{name} sets variables the worker does not read: {sorted(unknown)}"
        missing = {field for field in REQUIRED_IN_PRODUCTION if not env.get(ENV_PREFIX + field.upper())}
        assert not missing, f"{name} leaves production settings at their local defaults: {sorted(missing)}"
        for variable in os.environ:
            if variable.startswith(ENV_PREFIX):
                monkeypatch.delenv(variable)
        for variable, value in env.items():
            monkeypatch.setenv(variable, value)
        settings = Settings()
        assert settings.oidc_issuer and settings.web_host == env["LABOUR_TRACKER_WEB_HOST"]


def test_workers_reach_kafka_postgres_sftp_and_keycloak_where_compose_runs_them(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for service in workers(compose).values():
        env = worker_env(service)
        assert int(env["LABOUR_TRACKER_WEB_PORT"]) in published(service)

        kafka_host, kafka_port = env["LABOUR_TRACKER_KAFKA_BOOTSTRAP"].split(":")
        kafka = services[kafka_host]["environment"]
        advertised = dict(reversed(each.split("://")) for each in kafka["KAFKA_ADVERTISED_LISTENERS"].split(","))
        protocols = dict(each.split(":") for each in kafka["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
        assert protocols[advertised[f"{kafka_host}:{kafka_port}"]] == "SASL_PLAINTEXT"

        database = urlsplit(env["LABOUR_TRACKER_DATABASE_URL"])
        postgres = services[database.hostname or ""]["environment"]
        assert (database.port, database.path.lstrip("/"), database.username, database.password) == (
            5432,
            postgres["SERVICE_DB_NAME"],
            postgres["SERVICE_DB_USER"],
            postgres["SERVICE_DB_PASSWORD"],
        )

        sftp = services[env["LABOUR_TRACKER_SFTP_HOST"]]
        assert (
            env["LABOUR_TRACKER_SFTP_PORT"] == "22"
            and sftp["command"][0].split(":")[0] == env["LABOUR_TRACKER_SFTP_USERNAME"]
        )
        assert env["LABOUR_TRACKER_SFTP_DROP_DIR"] in sftp["command"][0].split(":")[-1].split(",")
        keys_volume = next(v for v in service["volumes"] if v.startswith("sftp-keys:"))
        keys_dir = keys_volume.split(":")[1]
        for variable in ("LABOUR_TRACKER_SFTP_CLIENT_KEY", "LABOUR_TRACKER_SFTP_KNOWN_HOSTS"):
            assert env[variable].startswith(keys_dir + "/")
            assert Path(env[variable]).name in (ROOT / "infra" / "sftp" / "make-keys.sh").read_text()

        jwks = urlsplit(env["LABOUR_TRACKER_OIDC_JWKS_URL"])
        keycloak = services[jwks.hostname or ""]
        assert jwks.port == int(keycloak["environment"]["KC_HTTP_PORT"])


def test_tokens_of_the_realm_name_the_issuer_and_audience_the_workers_check(
    compose: dict[str, Any], realm: dict[str, Any]
) -> None:
    keycloak = compose["services"]["keycloak"]
    public_url = keycloak["environment"]["KC_HOSTNAME"]
    issuer = f"{public_url}/realms/{realm['realm']}"
    # Keycloak's public address is served from its proxy's published public port (tests/unit/test_compose_security.py).
    assert urlsplit(public_url).port in published(compose["services"]["keycloak-proxy"]).values()
    assert any(volume.endswith(f"/opt/keycloak/data/import/{REALM_FILE.name}:ro") for volume in keycloak["volumes"])
    assert "--import-realm" in keycloak["command"]
    for service in workers(compose).values():
        env = worker_env(service)
        assert env["LABOUR_TRACKER_OIDC_ISSUER"] == issuer
        assert env["LABOUR_TRACKER_OIDC_JWKS_URL"].endswith(f"/realms/{realm['realm']}/protocol/openid-connect/certs")
        for client in realm["clients"]:
            audiences = [
                mapper["config"]["included.client.audience"]
                for mapper in client["protocolMappers"]
                if mapper["protocolMapper"] == "oidc-audience-mapper"
            ]
            assert audiences == [env["LABOUR_TRACKER_OIDC_AUDIENCE"]], client["clientId"]


def test_the_realm_has_a_confidential_backend_a_public_front_end_phone_numbers_and_self_registration(
    compose: dict[str, Any], realm: dict[str, Any]
) -> None:
    assert realm["registrationAllowed"] is True and realm["enabled"] is True
    clients = {client["clientId"]: client for client in realm["clients"]}
    backend, front_end = clients["labour-tracker"], clients["labour-tracker-web"]
    # The secret comes from compose at import: nobody copies it out of Keycloak's console.
    assert backend["publicClient"] is False
    assert backend["secret"] == compose["services"]["keycloak"]["environment"]["API_CLIENT_SECRET"]
    assert len(backend["secret"]) >= 32
    assert front_end["publicClient"] is True and front_end["attributes"]["pkce.code.challenge.method"] == "S256"
    assert front_end["implicitFlowEnabled"] is False and front_end["directAccessGrantsEnabled"] is False
    for client in (backend, front_end):
        phone = [m for m in client["protocolMappers"] if m["protocolMapper"] == "oidc-usermodel-attribute-mapper"]
        assert [(m["config"]["user.attribute"], m["config"]["claim.name"]) for m in phone] == [
            ("phone_number", "phone_number")
        ]
        assert phone[0]["config"]["access.token.claim"] == "true"
    # Users can give a phone number when they register: the attribute is declared in the user profile.
    profile = yaml.safe_load(
        realm["components"]["org.keycloak.userprofile.UserProfileProvider"][0]["config"]["kc.user.profile.config"][0]
    )
    phone_attribute = next(a for a in profile["attributes"] if a["name"] == "phone_number")
    assert "user" in phone_attribute["permissions"]["edit"]


def test_the_topic_initialiser_shares_the_workers_kafka_settings(compose: dict[str, Any]) -> None:
    init = compose["services"]["kafka-setup"]
    for service in workers(compose).values():
        env = worker_env(service)
        for variable, value in init["environment"].items():
            assert not variable.startswith(ENV_PREFIX) or env[variable] == str(value), variable
    assert {"LABOUR_TRACKER_TOPIC_PARTITIONS", "LABOUR_TRACKER_TOPIC_PREFIX", "LABOUR_TRACKER_APP_ID"} <= set(
        init["environment"]
    )
    for service in workers(compose).values():
        assert service["depends_on"]["kafka-setup"]["condition"] == "service_completed_successfully"


FAKE_KAFKA_TOPICS = r"""#!/usr/bin/env bash
# Records each call; --describe reports each created topic with FAKE_PARTITIONS or the partitions it was given.
printf '%s\n' "$*" >> "$FAKE_CALLS"
if [[ " $* " == *" --describe "* ]]; then
  grep -- --create "$FAKE_CALLS" | while read -r line; do
    set -- $line
    while [ "$1" != --topic ]; do shift; done
    name=$2
    while [ "$1" != --partitions ]; do shift; done
    printf 'Topic: %s\tTopicId: x\tPartitionCount: %s\tReplicationFactor: 1\n' "$name" "${FAKE_PARTITIONS:-$2}"
    printf '\tTopic: %s\tPartition: 0\tLeader: 1\n' "$name"
  done
fi
"""


def run_create_topics(
    compose: dict[str, Any], home: Path, *, partitions_reported: int | None = None
) -> tuple[subprocess.CompletedProcess[str], list[list[str]]]:
    """infra/kafka/create-topics.sh with the kafka-setup service's environment, against a recording stand-in."""
    script = home / "bin" / "kafka-topics.sh"
    script.parent.mkdir(parents=True)
    script.write_text(FAKE_KAFKA_TOPICS)
    script.chmod(0o755)
    calls = home / "calls"
    env = {key: str(value) for key, value in compose["services"]["kafka-setup"]["environment"].items()}
    fake = {"KAFKA_HOME": str(home), "FAKE_CALLS": str(calls)}
    if partitions_reported is not None:
        fake["FAKE_PARTITIONS"] = str(partitions_reported)
    result = subprocess.run(
        ["bash", str(ROOT / "infra" / "kafka" / "create-topics.sh")],
        env={"PATH": os.environ["PATH"], **fake, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    return result, [line.split() for line in calls.read_text().splitlines()]


def kafka_config(topic: Any) -> dict[str, str]:
    """The topic configuration Faust would create `topic` with."""
    config = {key: str(value) for key, value in (topic.config or {}).items()}
    if topic.compacting:
        config["cleanup.policy"] = "compact"
    if topic.retention is not None:
        config["retention.ms"] = str(int(topic.retention * 1000))
    return config


def declared_topics(prefix: str, app_id: str) -> dict[str, dict[str, str]]:
    """Topic -> config, for every topic the worker declares and every table's changelog, under compose's names."""
    app = built_worker().app
    assert app.tables, "no tables found"
    expected = {
        each.get_topic_name().replace(app.settings.topic_prefix, prefix, 1): kafka_config(each)
        for each in app.declared_topics
    }
    for table in app.tables.values():
        changelog = table.changelog_topic
        expected[changelog.get_topic_name().replace(app.settings.app_id, app_id, 1)] = kafka_config(changelog)
    return expected


def test_compose_creates_exactly_the_topics_the_worker_declares_with_its_partitions(
    compose: dict[str, Any], tmp_path: Path
) -> None:
    result, calls = run_create_topics(compose, tmp_path)
    assert result.returncode == 0, result.stderr
    settings = compose["services"]["kafka-setup"]["environment"]
    created: dict[str, dict[str, str]] = {}
    for args in calls:
        if "--create" not in args:
            continue
        assert args[args.index("--bootstrap-server") + 1] == settings["LABOUR_TRACKER_KAFKA_BOOTSTRAP"]
        assert args[args.index("--partitions") + 1] == str(settings["LABOUR_TRACKER_TOPIC_PARTITIONS"])
        assert args[args.index("--replication-factor") + 1] == str(settings["LABOUR_TRACKER_TOPIC_REPLICATION_FACTOR"])
        configs = [args[i + 1] for i, arg in enumerate(args) if arg == "--config"]
        created[args[args.index("--topic") + 1]] = dict(config.split("=", 1) for config in configs)
    assert created == declared_topics(settings["LABOUR_TRACKER_TOPIC_PREFIX"], settings["LABOUR_TRACKER_APP_ID"])


def test_topics_that_exist_with_another_partition_count_stop_the_stack(compose: dict[str, Any], tmp_path: Path) -> None:
    result, _ = run_create_topics(compose, tmp_path, partitions_reported=3)
    assert result.returncode == 1
    assert "labour_tracker.birthing_person.commands has 3 partitions, the workers are configured with 8" in (
        result.stderr
    )


def test_prometheus_scrapes_every_worker_at_its_metrics_route(compose: dict[str, Any]) -> None:
    config = yaml.safe_load((ROOT / "infra" / "prometheus" / "prometheus.yml").read_text())
    (job,) = [job for job in config["scrape_configs"] if job["job_name"] == "labour-tracker"]
    (metrics_route,) = [route for route in ROUTES if route.handler is metrics_view]
    assert metrics_route.public and job["metrics_path"] == API_PREFIX + metrics_route.path
    targets = {target for each in job["static_configs"] for target in each["targets"]}
    assert targets == {
        f"{worker_env(service)['LABOUR_TRACKER_WEB_HOST']}:{worker_env(service)['LABOUR_TRACKER_WEB_PORT']}"
        for service in workers(compose).values()
    }
    prometheus = compose["services"]["prometheus"]
    assert "./infra/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro" in prometheus["volumes"]


def test_images_run_the_versions_the_local_stack_is_tested_with(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["kafka"]["image"] == f"apache/kafka:{kafka_version()}"
    assert services["kafka-setup"]["image"] == services["kafka"]["image"]
    assert services["keycloak"]["image"] == f"quay.io/keycloak/keycloak:{keycloak_version()}"
    dockerfile = (ROOT / "Dockerfile").read_text()
    makefile = (ROOT / "Makefile").read_text()
    uv_version = re.search(r"^UV_VERSION := (\S+)$", makefile, re.M)
    assert uv_version and f"ARG UV_VERSION={uv_version[1]}\n" in dockerfile
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in dockerfile
    assert "uv sync --frozen --no-dev" in dockerfile
    user = re.findall(r"^USER (\S+)$", dockerfile, re.M)
    assert user and not user[-1].startswith(("0", "root")), "the worker image must not run as root"


def test_env_example_names_every_variable_compose_reads() -> None:
    """So that docs/configuration.md, generated from .env.example, documents each of them."""
    used = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", (ROOT / "docker-compose.yml").read_text()))
    assert used == set(dotenv(ROOT / ".env.example"))


def test_workers_connect_to_postgresql_as_the_services_own_role_never_the_superuser(compose: dict[str, Any]) -> None:
    postgres = compose["services"]["postgres"]
    env = postgres["environment"]
    assert env["SERVICE_DB_USER"] != env["POSTGRES_USER"] and env["SERVICE_DB_PASSWORD"] != env["POSTGRES_PASSWORD"]
    for service in workers(compose).values():
        assert urlsplit(worker_env(service)["LABOUR_TRACKER_DATABASE_URL"]).username == env["SERVICE_DB_USER"]
    # The init script (run by the image, as the superuser) makes the role with the script tested against PostgreSQL
    # in tests/integration/test_postgres_service_role.py.
    mounts = dict(volume.rsplit(":", 2)[:2] for volume in postgres["volumes"] if volume.startswith("./"))
    script = mounts["./infra/postgres/create-service-role.sh"]
    assert script.startswith("/docker-entrypoint-initdb.d/") and script.endswith(".sh")
    assert mounts["./infra/postgres/service-role.sql"] in (ROOT / "infra/postgres/create-service-role.sh").read_text()
    assert not mounts["./infra/postgres/service-role.sql"].startswith("/docker-entrypoint-initdb.d/"), (
        "the image would run it without its variables"
    )


def test_kafka_ui_and_prometheus_have_no_login_and_are_not_published(compose: dict[str, Any]) -> None:
    for name in ("kafka-ui", "prometheus"):
        assert "ports" not in compose["services"][name], name
    operators = yaml.safe_load((ROOT / "infra" / "compose" / "operators.yml").read_text())
    published = [port for each in operators["services"].values() for port in each["ports"]]
    assert published and all(port.startswith("127.0.0.1:") for port in published)


def test_the_api_page_of_a_published_worker_signs_in_through_the_public_client_redirecting_nowhere_else(
    compose: dict[str, Any], realm: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    api_url = compose["services"]["keycloak"]["environment"]["API_URL"]
    page = urlsplit(api_url)
    assert page.hostname == "localhost" and page.path == ""
    assert any(page.port in published(service).values() for service in workers(compose).values())

    clients = {client["clientId"]: client for client in realm["clients"]}
    for service in workers(compose).values():
        for variable in os.environ:
            if variable.startswith(ENV_PREFIX):
                monkeypatch.delenv(variable)
        for variable, value in worker_env(service).items():
            monkeypatch.setenv(variable, value)
        settings = Settings()
        page_client = clients[settings.docs_client_id]
        assert page_client["publicClient"] is True and page_client["standardFlowEnabled"] is True
        assert page_client["attributes"]["pkce.code.challenge.method"] == "S256"
        assert settings.docs_client_id in settings.clients
        assert f"{api_url}/docs/oauth2-redirect.html" in page_client["redirectUris"]
        assert f"{api_url}/app/" in page_client["redirectUris"]  # the web app signs in and comes back there
        assert api_url in page_client["webOrigins"]
    # Redirects and origins name their hosts: a wildcard only ends a path (the front end's), no origin is `*` or `+`.
    for client in realm["clients"]:
        for uri in client.get("redirectUris", []):
            assert "*" not in uri.removesuffix("/*"), (client["clientId"], uri)
        for origin in client.get("webOrigins", []):
            assert urlsplit(origin).scheme in ("http", "https") and urlsplit(origin).path == "", origin
