"""Apache Kafka from Maven Central: fetch the broker's classpath once, run a single-node KRaft broker on loopback."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import shutil
import subprocess
import time
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from labour_tracker.devstack.process import cache_dir, free_port, port_open, spawn, stop, wait_until
from labour_tracker.settings import KafkaConnection

POM = Path(__file__).resolve().parents[2] / "infra" / "kafka" / "pom.xml"
HEAP = "-Xms256m -Xmx512m"


def kafka_version() -> str:
    """The pinned broker version: the single place it is written is infra/kafka/pom.xml."""
    namespace = {"m": "http://maven.apache.org/POM/4.0.0"}
    node = ET.parse(POM).getroot().find("m:properties/m:kafka.version", namespace)
    assert node is not None and node.text, f"kafka.version is missing from {POM}"
    return node.text


def ensure_kafka() -> Path:
    """The directory of the broker's and its tools' jars, resolved by Maven from Maven Central on first use.

    One directory per content of the pom, so a changed classpath is fetched anew beside the one a running broker uses.
    """
    digest = hashlib.sha256(POM.read_bytes()).hexdigest()[:12]
    libs = cache_dir() / f"kafka-{kafka_version()}" / f"libs-{digest}"
    if (libs / f"kafka_2.13-{kafka_version()}.jar").exists():
        return libs
    if shutil.which("mvn") is None:
        raise RuntimeError("Maven (mvn) is needed to fetch Apache Kafka from Maven Central")
    partial = libs.with_name(libs.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    subprocess.run(
        ["mvn", "-q", "-B", "-f", str(POM), "dependency:copy-dependencies", "-DincludeScope=runtime",
         f"-DoutputDirectory={partial}"],
        check=True,
    )  # fmt: skip
    partial.rename(libs)  # whole or not at all, so an interrupted fetch is retried
    return libs


# The distribution's scripts that the scripts in infra/kafka run, and the class each starts.
TOOLS = {
    "kafka-server-start.sh": "kafka.Kafka",
    "kafka-storage.sh": "kafka.tools.StorageTool",
    "kafka-topics.sh": "org.apache.kafka.tools.TopicCommand",
    "kafka-acls.sh": "org.apache.kafka.tools.AclCommand",
    "kafka-configs.sh": "kafka.admin.ConfigCommand",
    "kafka-broker-api-versions.sh": "org.apache.kafka.tools.BrokerApiVersionsCommand",
}
TOOLS_HEAP = "-Xms32m -Xmx256m"


def kafka_home() -> Path:
    """A KAFKA_HOME whose bin/ has the distribution's scripts the scripts in infra/kafka run (as the image has them
    in /opt/kafka/bin), each starting its class from the cached jars: those scripts run here as they run in compose.

    The broker logs to its standard output at WARN (and its start at INFO); the tools log only their warnings."""
    libs = ensure_kafka()
    home = libs.with_name(libs.name.replace("libs-", "home-", 1))
    files = {
        Path("config/log4j2.properties"): LOG4J2,
        Path("config/tools-log4j2.properties"): TOOLS_LOG4J2,
    }
    for name, main in TOOLS.items():
        server = name == "kafka-server-start.sh"
        heap, log4j2 = (HEAP, "log4j2.properties") if server else (TOOLS_HEAP, "tools-log4j2.properties")
        files[Path("bin") / name] = (
            "#!/usr/bin/env bash\n"
            f'exec java {heap} -Djava.awt.headless=true -Dlog4j2.configurationFile="{home}/config/{log4j2}" '
            f'-cp "{libs}/*" {main} "$@"\n'
        )
    for relative, text in files.items():
        path = home / relative
        if not path.exists() or path.read_text() != text:
            # Written whole and renamed into place: another run may be starting the same script meanwhile.
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f".{path.name}.{os.getpid()}")
            partial.write_text(text)
            partial.chmod(0o755)
            partial.replace(path)
    return home


LOG4J2 = """\
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.stdout.ref = STDOUT
logger.server.name = kafka.server.KafkaRaftServer
logger.server.level = INFO
logger.version.name = org.apache.kafka.common.utils.AppInfoParser
logger.version.level = INFO
"""

TOOLS_LOG4J2 = """\
status = warn
appender.console.type = Console
appender.console.name = STDERR
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.stderr.ref = STDERR
"""


@dataclass
class KafkaBroker:
    """One broker that is also its own KRaft controller, on 127.0.0.1."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    controller_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _java(self, libs: Path, main: str, *args: str) -> list[str]:
        return [
            "java", *HEAP.split(), "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.data_dir / 'log4j2.properties'}",
            "-cp", f"{libs}/*", main, *args,
        ]  # fmt: skip

    def _write_config(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / "log4j2.properties").write_text(LOG4J2)
        config = self.data_dir / "server.properties"
        config.write_text(
            "\n".join(
                [
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.voters=1@127.0.0.1:{self.controller_port}",
                    f"listeners=PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
                    f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}",
                    "controller.listener.names=CONTROLLER",
                    "inter.broker.listener.name=PLAINTEXT",
                    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                    f"log.dirs={self.data_dir / 'logs'}",
                    "num.partitions=1",
                    "offsets.topic.replication.factor=1",
                    "offsets.topic.num.partitions=4",  # the default 50 slows the first group join
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "share.coordinator.state.topic.replication.factor=1",
                    "share.coordinator.state.topic.min.isr=1",
                    "group.initial.rebalance.delay.ms=0",
                    "auto.create.topics.enable=false",  # as in production: topics are declared with their partitions
                ]
            )
            + "\n"
        )
        return config

    def start(self, *, timeout: float = 90.0) -> None:
        libs = ensure_kafka()
        config = self._write_config()
        if not (self.data_dir / "logs" / "meta.properties").exists():
            cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
            subprocess.run(
                self._java(libs, "kafka.tools.StorageTool", "format", f"--cluster-id={cluster_id}", "-c", str(config)),
                check=True,
                stdout=subprocess.DEVNULL,
            )
        self.process = spawn(self._java(libs, "kafka.Kafka", str(config)), log=self.data_dir / "broker.log")
        wait_until(self.answers_metadata, timeout=timeout, what="Kafka broker", process=self.process)

    def answers_metadata(self) -> bool:
        if not port_open(self.port):
            return False
        # A loop of its own that never becomes current: asyncio.run would unset the caller's (a test session's).
        loop = asyncio.new_event_loop()
        try:
            return loop.run_until_complete(answers_metadata(KafkaConnection(self.bootstrap)))
        finally:
            loop.close()

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process, grace=30.0)
            self.process = None


async def answers_metadata(kafka: KafkaConnection) -> bool:
    """Whether the cluster answers a metadata request from a client signed in as `kafka` says."""
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.errors import KafkaError

    admin = AIOKafkaAdminClient(**kafka.client_options(), request_timeout_ms=2000)
    try:
        await admin.start()
        await admin.describe_cluster()
        return True
    except (KafkaError, OSError):
        return False
    finally:
        await admin.close()


def main() -> None:
    """Fetch (if needed) and start a broker in the foreground: `python -m labour_tracker.devstack.kafka [port]`."""
    import sys

    broker = KafkaBroker(cache_dir() / "manual-broker", port=int(sys.argv[1]) if len(sys.argv) > 1 else 9092)
    started = time.monotonic()
    broker.start()
    print(f"Apache Kafka {kafka_version()} ready on {broker.bootstrap} in {time.monotonic() - started:.1f} s")
    try:
        assert broker.process is not None
        broker.process.wait()
    except KeyboardInterrupt:
        broker.stop()


if __name__ == "__main__":
    main()
