"""docker-compose.yml's Kafka run here: its `kafka` service's start script and environment, and its `kafka-setup`
service's script (users, ACLs, topics), with the distribution's scripts from the cached jars and loopback ports."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr

from labour_tracker.devstack.kafka import KafkaBroker, answers_metadata, kafka_home
from labour_tracker.devstack.process import free_port, port_open, spawn, stop, wait_until
from labour_tracker.settings import KafkaConnection
from tests.support.compose import ROOT, service_env

SCRIPTS = ROOT / "infra" / "kafka"
# Only for a quicker first group join here; production keeps Kafka's 50 partitions of __consumer_offsets.
QUICKER = {"KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS": "4"}


def _process_env(*layers: dict[str, str]) -> dict[str, str]:
    """A child's environment: the layers given, each over the one before, and nothing of this process's but where
    programs are."""
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    for layer in layers:
        env.update(layer)
    return env


@dataclass
class ComposeKafka(KafkaBroker):
    """The `kafka` service of docker-compose.yml (`compose`, as compose reads it) on 127.0.0.1: every listener moved to
    a free port, its data in `data_dir`; everything else as compose sets it."""

    compose: dict[str, Any] = field(default_factory=dict, repr=False)
    host_port: int = field(default_factory=free_port)

    @property
    def service(self) -> dict[str, str]:
        return service_env(self.compose, "kafka")

    def moved(self) -> dict[str, str]:
        """The service's addresses, moved to this machine's free ports: the only settings changed from compose's."""
        env = self.service
        ports = {}
        for listener in env["KAFKA_LISTENERS"].split(","):
            name = listener.split("://")[0]
            if name in env["KAFKA_CONTROLLER_LISTENER_NAMES"].split(","):
                ports[name] = self.controller_port
            elif name == env["KAFKA_INTER_BROKER_LISTENER_NAME"]:
                ports[name] = self.port  # where the stack's clients connect
            else:
                ports[name] = self.host_port

        def addresses(names: list[str]) -> str:
            return ",".join(f"{name}://127.0.0.1:{ports[name]}" for name in names)

        advertised = [each.split("://")[0] for each in env["KAFKA_ADVERTISED_LISTENERS"].split(",")]
        (controller,) = env["KAFKA_CONTROLLER_LISTENER_NAMES"].split(",")
        return {
            "KAFKA_LISTENERS": addresses(list(ports)),
            "KAFKA_ADVERTISED_LISTENERS": addresses(advertised),
            "KAFKA_CONTROLLER_QUORUM_VOTERS": f"{env['KAFKA_NODE_ID']}@127.0.0.1:{ports[controller]}",
            "KAFKA_LOG_DIRS": str(self.data_dir / "logs"),
        }

    def start(self, *, timeout: float = 120.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        here = {"KAFKA_HOME": str(kafka_home()), "KAFKA_RUN_DIR": str(self.data_dir / "run")}
        env = _process_env(self.service, self.moved(), QUICKER, here)
        self.process = spawn(["bash", str(SCRIPTS / "start-broker.sh")], log=self.data_dir / "broker.log", env=env)
        admin = self.signed_in(self.service["KAFKA_ADMIN_USER"], self.service["KAFKA_ADMIN_PASSWORD"])
        wait_until(
            lambda: port_open(self.port) and _run(answers_metadata(admin)),
            timeout=timeout,
            what="Kafka broker",
            process=self.process,
        )

    def set_up(self, *, timeout: float = 300.0) -> str:
        """Run the `kafka-setup` service's script against this broker; its output (this run's alone)."""
        log = self.data_dir / f"setup-{len(list(self.data_dir.glob('setup-*.log'))) + 1}.log"
        here = {"LABOUR_TRACKER_KAFKA_BOOTSTRAP": self.bootstrap, "KAFKA_HOME": str(kafka_home())}
        env = _process_env(service_env(self.compose, "kafka-setup"), here)
        process = spawn(["bash", str(SCRIPTS / "setup.sh")], log=log, env=env)
        try:
            code = process.wait(timeout=timeout)
        finally:
            stop(process, grace=5.0)
        output = log.read_text()
        assert code == 0, output
        return output

    def signed_in(self, user: str, password: str) -> KafkaConnection:
        mechanism = service_env(self.compose, "kafka-setup")["KAFKA_SASL_MECHANISM"]
        return KafkaConnection(self.bootstrap, mechanism, user, SecretStr(password))


def _run(awaitable: Any) -> Any:
    """Run a coroutine on a loop of its own that never becomes current (a test session's loop stays as it is)."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(awaitable)
    finally:
        loop.close()
