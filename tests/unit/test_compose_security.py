"""docker-compose.yml protects what it runs: Kafka takes no client that does not sign in, lets each user do only what
its ACLs allow, and has no password compose does not get from .env; Keycloak's admin console is served only on a
port of its own. (tests/integration/test_kafka_sign_in.py runs this Kafka, with these scripts, and tries each user;
tests/integration/test_keycloak_admin_address.py signs in to the console of a real Keycloak set up as here.)"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support.compose import COMPOSE_FILE, ROOT, dotenv, fresh_env_file, load_compose, service_env

SCRAM = {"SCRAM-SHA-256", "SCRAM-SHA-512"}
KAFKA_PASSWORDS = ("KAFKA_ADMIN_PASSWORD", "KAFKA_WORKER_PASSWORD", "KAFKA_UI_PASSWORD")


@pytest.fixture(scope="module")
def env_file(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return fresh_env_file(tmp_path_factory.mktemp("checkout"))


@pytest.fixture(scope="module")
def compose(env_file: dict[str, str]) -> dict[str, Any]:
    return load_compose(env_file)


def listeners(value: str) -> dict[str, str]:
    """`NAME://host:port,…` -> name: host:port."""
    return dict(each.split("://") for each in value.split(","))


def test_every_kafka_listener_signs_in_and_none_is_plaintext(compose: dict[str, Any]) -> None:
    kafka = service_env(compose, "kafka")
    protocols = dict(each.split(":") for each in kafka["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    assert set(protocols) == set(listeners(kafka["KAFKA_LISTENERS"]))
    assert set(protocols.values()) == {"SASL_PLAINTEXT"}, "no listener takes a client without signing in"
    assert not any("PLAINTEXT://" in value or value == "PLAINTEXT" for value in kafka.values())
    # Clients sign in with SCRAM, which never sends the password; PLAIN would, over a network without TLS.
    assert set(kafka["KAFKA_SASL_ENABLED_MECHANISMS"].split(",")) <= SCRAM
    assert kafka["KAFKA_SASL_MECHANISM_INTER_BROKER_PROTOCOL"] in SCRAM


def test_the_controller_listener_which_takes_plain_is_on_the_containers_loopback_only(compose: dict[str, Any]) -> None:
    kafka = service_env(compose, "kafka")
    (controller,) = kafka["KAFKA_CONTROLLER_LISTENER_NAMES"].split(",")
    address = listeners(kafka["KAFKA_LISTENERS"])[controller]
    assert address.startswith("127.0.0.1:")
    assert kafka["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{kafka['KAFKA_NODE_ID']}@{address}"
    assert controller not in listeners(kafka["KAFKA_ADVERTISED_LISTENERS"])
    assert kafka[f"KAFKA_LISTENER_NAME_{controller}_SASL_ENABLED_MECHANISMS"] == "PLAIN"
    published = {str(port).rsplit(":", 1)[-1] for port in compose["services"]["kafka"]["ports"]}
    assert address.rsplit(":", 1)[-1] not in published


def test_the_broker_refuses_what_no_acl_allows_and_only_the_admin_is_a_super_user(compose: dict[str, Any]) -> None:
    kafka, setup = service_env(compose, "kafka"), service_env(compose, "kafka-setup")
    assert kafka["KAFKA_AUTHORIZER_CLASS_NAME"] == "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    assert kafka["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"
    assert kafka["KAFKA_SUPER_USERS"] == f"User:{kafka['KAFKA_ADMIN_USER']}"
    assert (kafka["KAFKA_ADMIN_USER"], kafka["KAFKA_ADMIN_PASSWORD"]) == (
        setup["KAFKA_ADMIN_USER"],
        setup["KAFKA_ADMIN_PASSWORD"],
    )
    assert setup["KAFKA_ADMIN_USER"] not in (setup["KAFKA_WORKER_USER"], setup["KAFKA_UI_USER"])
    assert setup["KAFKA_SASL_MECHANISM"] == kafka["KAFKA_SASL_MECHANISM_INTER_BROKER_PROTOCOL"]


def mounted_scripts(service: dict[str, Any]) -> str:
    """Where the service has infra/kafka, read-only."""
    (target,) = [volume.split(":")[1] for volume in service["volumes"] if volume.startswith("./infra/kafka:")]
    assert f"./infra/kafka:{target}:ro" in service["volumes"]
    return target


def test_the_broker_starts_with_the_projects_script_and_checks_its_health_signed_in(compose: dict[str, Any]) -> None:
    kafka = compose["services"]["kafka"]
    assert kafka["entrypoint"] == ["bash", f"{mounted_scripts(kafka)}/start-broker.sh"]
    check = " ".join(kafka["healthcheck"]["test"])
    assert "--command-config /tmp/kafka/admin.properties" in check
    assert '"$run_dir/admin.properties"' in (ROOT / "infra" / "kafka" / "start-broker.sh").read_text()
    assert "run_dir=${KAFKA_RUN_DIR:-/tmp/kafka}" in (ROOT / "infra" / "kafka" / "start-broker.sh").read_text()


def test_users_acls_and_topics_are_made_by_the_one_shot_setup_before_any_client_starts(compose: dict[str, Any]) -> None:
    services = compose["services"]
    setup = services["kafka-setup"]
    assert setup["entrypoint"] == ["bash", f"{mounted_scripts(setup)}/setup.sh"]
    assert setup["restart"] == "no" and setup["image"] == services["kafka"]["image"]
    assert setup["depends_on"]["kafka"]["condition"] == "service_healthy"
    steps = re.findall(r'^bash "\$here/(\S+)"$', (ROOT / "infra" / "kafka" / "setup.sh").read_text(), re.M)
    assert steps == ["create-users.sh", "create-acls.sh", "create-topics.sh"]
    for name in ("kafka-ui", "worker-1", "worker-2"):
        assert services[name]["depends_on"]["kafka-setup"]["condition"] == "service_completed_successfully", name


def kafka_clients(compose: dict[str, Any]) -> set[str]:
    """Every service that is given the broker's address."""
    return {
        name
        for name, service in compose["services"].items()
        if name != "kafka" and any("kafka:9092" in str(value) for value in (service.get("environment") or {}).values())
    }


def test_every_kafka_client_of_the_stack_signs_in_as_its_own_user(compose: dict[str, Any]) -> None:
    setup = service_env(compose, "kafka-setup")
    workers = {name for name, service in compose["services"].items() if "build" in service}
    assert kafka_clients(compose) == {"kafka-setup", "kafka-ui", *workers}
    for name in workers:
        env = service_env(compose, name)
        assert (
            env["LABOUR_TRACKER_KAFKA_SASL_MECHANISM"] == setup["KAFKA_SASL_MECHANISM"]
            and env["LABOUR_TRACKER_KAFKA_SASL_MECHANISM"] in SCRAM
        )
        assert env["LABOUR_TRACKER_KAFKA_USERNAME"] == setup["KAFKA_WORKER_USER"]
        assert env["LABOUR_TRACKER_KAFKA_PASSWORD"] == setup["KAFKA_WORKER_PASSWORD"]
    ui = service_env(compose, "kafka-ui")
    assert ui["KAFKA_CLUSTERS_0_READONLY"] == "true"
    assert ui["KAFKA_CLUSTERS_0_PROPERTIES_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT"
    assert ui["KAFKA_CLUSTERS_0_PROPERTIES_SASL_MECHANISM"] == setup["KAFKA_SASL_MECHANISM"]
    assert setup["KAFKA_SASL_MECHANISM"] in SCRAM
    assert ui["KAFKA_CLUSTERS_0_PROPERTIES_SASL_JAAS_CONFIG"] == (
        "org.apache.kafka.common.security.scram.ScramLoginModule required "
        f'username="{setup["KAFKA_UI_USER"]}" password="{setup["KAFKA_UI_PASSWORD"]}";'
    )


def test_kafka_passwords_come_only_from_env_with_no_default(env_file: dict[str, str]) -> None:
    text = COMPOSE_FILE.read_text()
    for name in KAFKA_PASSWORDS:
        uses = re.findall(r"\$\{" + name + r"([^}]*)\}", text)
        assert uses and all(use == ":?run infra/compose-env.sh" for use in uses), name
    passwords = [env_file[name] for name in KAFKA_PASSWORDS]
    assert len(set(passwords)) == len(passwords) and all(len(each) >= 32 for each in passwords)
    assert all(dotenv(ROOT / ".env.example")[name] == "" for name in KAFKA_PASSWORDS)
    without = {name: value for name, value in env_file.items() if name != "KAFKA_WORKER_PASSWORD"}
    with pytest.raises(AssertionError, match="KAFKA_WORKER_PASSWORD is required"):
        load_compose(without)


def test_compose_env_adds_the_secrets_an_older_env_file_lacks_and_keeps_the_rest(tmp_path: Path) -> None:
    (tmp_path / "infra").mkdir()
    shutil.copy(ROOT / ".env.example", tmp_path)
    shutil.copy(ROOT / "infra" / "compose-env.sh", tmp_path / "infra")
    (tmp_path / ".env").write_text("POSTGRES_PASSWORD=kept-as-it-was\nLOG_LEVEL=DEBUG")  # no newline at its end
    subprocess.run(["bash", str(tmp_path / "infra" / "compose-env.sh")], check=True, capture_output=True)
    env = dotenv(tmp_path / ".env")
    assert (env["POSTGRES_PASSWORD"], env["LOG_LEVEL"]) == ("kept-as-it-was", "DEBUG")
    assert set(env) == set(dotenv(ROOT / ".env.example"))
    assert all(len(env[name]) >= 32 for name in KAFKA_PASSWORDS)


FAKE_KAFKA_ACLS = r"""#!/usr/bin/env bash
printf '%s\n' "$*" >> "$FAKE_CALLS"
"""


def acls_granted(compose: dict[str, Any], home: Path) -> dict[str, list[list[str]]]:
    """infra/kafka/create-acls.sh with the kafka-setup service's environment, against a recording stand-in of
    kafka-acls.sh: each principal's calls."""
    script = home / "bin" / "kafka-acls.sh"
    script.parent.mkdir(parents=True)
    script.write_text(FAKE_KAFKA_ACLS)
    script.chmod(0o755)
    env = {**service_env(compose, "kafka-setup"), "KAFKA_HOME": str(home), "FAKE_CALLS": str(home / "calls")}
    subprocess.run(
        ["bash", str(ROOT / "infra" / "kafka" / "create-acls.sh")],
        env={"PATH": os.environ["PATH"], **env},
        check=True,
        capture_output=True,
    )
    granted: dict[str, list[list[str]]] = {}
    for line in (home / "calls").read_text().splitlines():
        args = line.split()
        assert args[args.index("--bootstrap-server") + 1] == env["LABOUR_TRACKER_KAFKA_BOOTSTRAP"]
        assert "--add" in args and "--deny-principal" not in args
        granted.setdefault(args[args.index("--allow-principal") + 1], []).append(args)
    return granted


def values_of(args: list[str], option: str) -> set[str]:
    return {args[i + 1] for i, arg in enumerate(args) if arg == option}


def test_acls_give_the_workers_their_topics_and_groups_and_kafka_ui_nothing_that_writes(
    compose: dict[str, Any], tmp_path: Path
) -> None:
    setup = service_env(compose, "kafka-setup")
    prefix, app_id = setup["LABOUR_TRACKER_TOPIC_PREFIX"], setup["LABOUR_TRACKER_APP_ID"]
    granted = acls_granted(compose, tmp_path)
    assert set(granted) == {f"User:{setup['KAFKA_WORKER_USER']}", f"User:{setup['KAFKA_UI_USER']}"}
    for calls in granted.values():
        for args in calls:
            # Nothing for every topic or group, nothing that reaches another system's or Kafka's own.
            assert not values_of(args, "--topic") - {f"{prefix}.", f"{app_id}-"}, args
            assert not values_of(args, "--group") - {app_id, f"{app_id}-mirror-"}, args
            assert "--transactional-id" not in args
    worker = granted[f"User:{setup['KAFKA_WORKER_USER']}"]
    assert all("--cluster" not in args for args in worker)
    topics = next(args for args in worker if "--topic" in args)
    assert values_of(topics, "--operation") == {"Read", "Write", "Create", "Describe"}
    assert topics[topics.index("--resource-pattern-type") + 1] == "prefixed"
    groups = {(args[args.index("--resource-pattern-type") + 1], *values_of(args, "--group")) for args in worker}
    assert {("literal", app_id), ("prefixed", f"{app_id}-mirror-")} <= groups
    ui = granted[f"User:{setup['KAFKA_UI_USER']}"]
    assert set().union(*(values_of(args, "--operation") for args in ui)) <= {"Read", "Describe", "DescribeConfigs"}
    assert all(values_of(args, "--operation") <= {"Describe"} for args in ui if "--group" in args)


def nginx_servers(text: str) -> dict[int, dict[str, str]]:
    """infra/keycloak/proxy.conf: listen port -> {location: what it does (`proxy_pass URL` or `return …`)}."""
    servers: dict[int, dict[str, str]] = {}
    for block in re.findall(r"^server \{\n(.*?)^\}", text, re.M | re.S):
        (port,) = re.findall(r"^\s*listen (\d+);", block, re.M)
        servers[int(port)] = {
            path: " ".join(body.split()).rstrip(";")
            for path, body in re.findall(r"location (?:= )?(\S+) \{\s*(.*?)\s*\}", block, re.S)
        }
    return servers


def proxy_published(compose: dict[str, Any]) -> dict[int, int]:
    """keycloak-proxy's host port -> its container port."""
    pairs = (str(port).split(":") for port in compose["services"]["keycloak-proxy"]["ports"])
    return {int(host): int(container) for _, host, container in pairs}


def proxy_server_at(compose: dict[str, Any], url: str) -> dict[str, str]:
    """What infra/keycloak/proxy.conf serves at `url`'s port, as compose publishes it."""
    servers = nginx_servers((ROOT / "infra" / "keycloak" / "proxy.conf").read_text())
    port = urlsplit(url).port
    assert port is not None, url
    return servers[proxy_published(compose)[port]]


def test_keycloak_is_published_only_through_its_proxy_each_port_on_127_0_0_1(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert "ports" not in services["keycloak"]
    proxy = services["keycloak-proxy"]
    assert "./infra/keycloak/proxy.conf:/etc/nginx/conf.d/default.conf:ro" in proxy["volumes"]
    assert all(str(port).startswith("127.0.0.1:") for port in proxy["ports"])
    servers = nginx_servers((ROOT / "infra" / "keycloak" / "proxy.conf").read_text())
    assert sorted(proxy_published(compose).values()) == sorted(servers)


def test_the_public_port_serves_the_realms_sign_in_and_the_admin_port_the_console(compose: dict[str, Any]) -> None:
    keycloak = service_env(compose, "keycloak")
    public = proxy_server_at(compose, keycloak["KC_HOSTNAME"])
    admin = proxy_server_at(compose, keycloak["KC_HOSTNAME_ADMIN"])
    assert public is not admin
    upstream = f"proxy_pass http://keycloak:{keycloak['KC_HTTP_PORT']}"
    realm = json.loads((ROOT / "infra" / "keycloak" / "labour-tracker-realm.json").read_text())["realm"]
    assert {path for path, does in public.items() if does == upstream} == {f"/realms/{realm}/", "/resources/"}
    assert public["/"] == "return 404"  # everything else: the admin console and API, the master realm, metrics
    assert {path for path, does in admin.items() if does == upstream} == {"/admin/", "/realms/master/", "/resources/"}
    assert admin["/"] == "return 404"


def test_the_master_realm_signs_in_at_the_admin_address(compose: dict[str, Any]) -> None:
    """Keycloak moves only the console to hostname-admin; the one-shot keycloak-admin-address moves the master realm's
    sign-in there too, with the script tests/integration/test_keycloak_admin_address.py runs."""
    services = compose["services"]
    keycloak, moving = service_env(compose, "keycloak"), service_env(compose, "keycloak-admin-address")
    assert moving["KC_HOSTNAME_ADMIN"] == keycloak["KC_HOSTNAME_ADMIN"] != keycloak["KC_HOSTNAME"]
    assert moving["KEYCLOAK_INTERNAL_URL"] == f"http://keycloak:{keycloak['KC_HTTP_PORT']}"
    for name in ("KC_BOOTSTRAP_ADMIN_USERNAME", "KC_BOOTSTRAP_ADMIN_PASSWORD"):
        assert moving[name] == keycloak[name]
    assert not {"KC_DB_PASSWORD", "API_CLIENT_SECRET"} & set(moving), "only what it needs"
    service = services["keycloak-admin-address"]
    assert service["image"] == services["keycloak"]["image"] and service["restart"] == "no"
    assert service["depends_on"]["keycloak"]["condition"] == "service_healthy"
    mount = "./infra/keycloak/admin-address.sh:/opt/labour-tracker/admin-address.sh:ro"
    assert mount in service["volumes"] and service["entrypoint"] == ["bash", "/opt/labour-tracker/admin-address.sh"]
    assert dotenv(ROOT / ".env.example")["KEYCLOAK_ADMIN_URL"].startswith("http://localhost:")
