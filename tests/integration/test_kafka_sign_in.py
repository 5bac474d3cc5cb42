"""docker-compose.yml's Kafka, run here with its own scripts and settings: every client signs in, and each user may do
only what infra/kafka/create-acls.sh allows it. A worker configured as compose configures it works there."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import aiohttp
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    KafkaError,
    TopicAuthorizationFailedError,
    for_code,
)
from pydantic import SecretStr

from labour_tracker.devstack.kafka import answers_metadata, kafka_home
from labour_tracker.devstack.postgres import PostgresCluster
from labour_tracker.settings import KafkaConnection
from tests.support.compose import fresh_env_file, load_compose, service_env
from tests.support.compose_kafka import ComposeKafka
from tests.support.servers import new_dir, serving
from tests.support.stack import Deployment, new_stack


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose(fresh_env_file(new_dir("checkout")))


@pytest.fixture(scope="module")
def secured(compose: dict[str, Any]) -> Iterator[ComposeKafka]:
    """Compose's broker, and its users, ACLs and topics as the kafka-setup service makes them."""
    with serving(ComposeKafka(new_dir("kafka") / "kafka", compose=compose)) as broker:
        broker.set_up()
        yield broker


def setup_env(compose: dict[str, Any]) -> dict[str, str]:
    return service_env(compose, "kafka-setup")


def admin(broker: ComposeKafka) -> KafkaConnection:
    env = setup_env(broker.compose)
    return broker.signed_in(env["KAFKA_ADMIN_USER"], env["KAFKA_ADMIN_PASSWORD"])


def worker(broker: ComposeKafka) -> KafkaConnection:
    env = setup_env(broker.compose)
    return broker.signed_in(env["KAFKA_WORKER_USER"], env["KAFKA_WORKER_PASSWORD"])


def kafka_ui(broker: ComposeKafka) -> KafkaConnection:
    env = setup_env(broker.compose)
    return broker.signed_in(env["KAFKA_UI_USER"], env["KAFKA_UI_PASSWORD"])


def topic_under(broker: ComposeKafka, suffix: str) -> str:
    return f"{setup_env(broker.compose)['LABOUR_TRACKER_TOPIC_PREFIX']}.{suffix}"


@asynccontextmanager
async def producing(kafka: KafkaConnection) -> AsyncIterator[AIOKafkaProducer]:
    producer = AIOKafkaProducer(**kafka.client_options(), request_timeout_ms=5000)
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()


async def create(kafka: KafkaConnection, topic: str) -> None:
    client = AIOKafkaAdminClient(**kafka.client_options(), request_timeout_ms=5000)
    await client.start()
    try:
        response = await client.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    finally:
        await client.close()
    for _, code, *_ in response.topic_errors:  # the admin client answers a refusal; it raises nothing
        if code:
            raise for_code(code)(f"creating {topic}")


async def partitions_of(kafka: KafkaConnection, topic: str) -> list[TopicPartition]:
    client = AIOKafkaAdminClient(**kafka.client_options(), request_timeout_ms=5000)
    await client.start()
    try:
        (described,) = await client.describe_topics([topic])
    finally:
        await client.close()
    assert described["error_code"] == 0, described
    return [TopicPartition(topic, each["partition"]) for each in described["partitions"]]


async def read_all(kafka: KafkaConnection, topic: str, *, group: str | None = None) -> list[bytes]:
    """Every record of the topic, read from its start; then, with a `group`, its offsets committed for the group
    (the group's worker joins it in test_a_worker_signed_in_as_compose_configures_it_serves_a_labour)."""
    consumer = AIOKafkaConsumer(
        **kafka.client_options(), group_id=group, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        partitions = await partitions_of(kafka, topic)
        consumer.assign(partitions)
        end = sum((await consumer.end_offsets(partitions)).values())
        values: list[bytes] = []
        async with asyncio.timeout(30):
            while len(values) < end:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    values += [record.value for record in records]
        if group is not None:
            await consumer.commit()
        return values
    finally:
        await consumer.stop()


async def test_the_workers_user_creates_writes_and_reads_its_topics_in_its_groups(secured: ComposeKafka) -> None:
    app_id = setup_env(secured.compose)["LABOUR_TRACKER_APP_ID"]
    created, changelog = topic_under(secured, f"created-{uuid.uuid4().hex[:6]}"), f"{app_id}-t-changelog"
    await create(worker(secured), created)  # Faust declares its topics itself
    await create(worker(secured), changelog)
    async with producing(worker(secured)) as producer:
        await producer.send_and_wait(created, b"kept", partition=0)
        await producer.send_and_wait(changelog, b"state", partition=0)
    assert await read_all(worker(secured), created, group=app_id) == [b"kept"]
    assert await read_all(worker(secured), changelog, group=f"{app_id}-mirror-mirror") == [b"state"]


async def test_the_workers_user_is_refused_anything_outside_its_topics_and_groups(secured: ComposeKafka) -> None:
    elsewhere = f"elsewhere-{uuid.uuid4().hex[:6]}"
    await create(admin(secured), elsewhere)
    async with producing(worker(secured)) as producer:
        with pytest.raises(TopicAuthorizationFailedError):
            await producer.send_and_wait(elsewhere, b"not allowed", partition=0)
    with pytest.raises(TopicAuthorizationFailedError):
        await create(worker(secured), f"elsewhere-{uuid.uuid4().hex[:6]}")
    with pytest.raises(GroupAuthorizationFailedError):
        await read_all(worker(secured), topic_under(secured, "birthing_person.events"), group="someone-elses-group")


async def test_kafka_ui_reads_and_describes_but_writes_and_creates_nothing(secured: ComposeKafka) -> None:
    topic = topic_under(secured, f"events-{uuid.uuid4().hex[:6]}")  # not the workers' own: they read every record
    await create(worker(secured), topic)
    async with producing(worker(secured)) as producer:
        await producer.send_and_wait(topic, b"an event", partition=0)
    assert await read_all(kafka_ui(secured), topic) == [b"an event"]
    async with producing(kafka_ui(secured)) as producer:
        with pytest.raises(TopicAuthorizationFailedError):
            await producer.send_and_wait(topic, b"forged", partition=0)
    with pytest.raises(TopicAuthorizationFailedError):
        await create(kafka_ui(secured), topic_under(secured, f"made-by-ui-{uuid.uuid4().hex[:6]}"))


async def test_a_wrong_password_an_unknown_user_and_no_sign_in_are_all_turned_away(secured: ComposeKafka) -> None:
    user = setup_env(secured.compose)["KAFKA_WORKER_USER"]
    for refused in (
        secured.signed_in(user, "not-the-workers-password"),
        secured.signed_in("nobody-we-know", "any-password-at-all"),
        KafkaConnection(secured.bootstrap),  # PLAINTEXT
    ):
        assert not await answers_metadata(refused), refused
        with pytest.raises((KafkaError, KafkaConnectionError)):
            async with producing(refused) as producer:
                await producer.send_and_wait(topic_under(secured, "birthing_person.commands"), b"x", partition=0)
    assert await answers_metadata(worker(secured))


async def test_the_listener_published_on_the_host_takes_the_same_users_and_no_one_else(secured: ComposeKafka) -> None:
    on_host = replace(worker(secured), bootstrap=f"127.0.0.1:{secured.host_port}")
    assert await answers_metadata(on_host)
    assert not await answers_metadata(KafkaConnection(on_host.bootstrap))
    assert not await answers_metadata(replace(on_host, password=SecretStr("not-the-workers-password")))


def test_the_brokers_health_check_signs_in_as_compose_runs_it(secured: ComposeKafka) -> None:
    """The kafka service's health check, its paths and address those of the broker here."""
    (kind, command) = secured.compose["services"]["kafka"]["healthcheck"]["test"]
    assert kind == "CMD-SHELL"
    here = (
        command.replace("/opt/kafka/", f"{kafka_home()}/")
        .replace("/tmp/kafka/", f"{secured.data_dir / 'run'}/")
        .replace(secured.service["KAFKA_ADVERTISED_LISTENERS"].split(",")[0].split("://")[1], secured.bootstrap)
    )
    assert here != command
    result = subprocess.run(["bash", "-c", here], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr


async def test_the_setup_runs_again_on_the_next_up_and_changes_nothing(secured: ComposeKafka) -> None:
    """compose runs kafka-setup on every `docker compose up`: users, ACLs and topics that exist stay as they are."""
    output = await asyncio.to_thread(secured.set_up)
    assert re.search(r"create-topics: \d+ topics with \d+ partitions each", output), output
    assert await answers_metadata(worker(secured)) and await answers_metadata(kafka_ui(secured))
    async with producing(kafka_ui(secured)) as producer:
        with pytest.raises(TopicAuthorizationFailedError):
            await producer.send_and_wait(topic_under(secured, "dead_letters"), b"forged", partition=0)


def worker_settings(compose: dict[str, Any]) -> dict[str, str]:
    """A compose worker's Kafka settings: its sign-in, app id, topic prefix and partitions."""
    env = service_env(compose, "worker-1")
    kafka = ("KAFKA_SASL_MECHANISM", "KAFKA_USERNAME", "KAFKA_PASSWORD", "APP_ID", "TOPIC_PREFIX", "TOPIC_PARTITIONS")
    return {f"LABOUR_TRACKER_{name}": env[f"LABOUR_TRACKER_{name}"] for name in kafka}


@pytest.fixture(scope="module")
def compose_worker(secured: ComposeKafka, postgres: PostgresCluster) -> Iterator[Deployment]:
    """A worker signed in to Kafka as compose's workers are, on their topics; its own schema in the session's
    PostgreSQL."""
    with Deployment.running(new_stack(secured, postgres, **worker_settings(secured.compose)), "signed-in") as deployed:
        yield deployed


async def test_a_worker_signed_in_as_compose_configures_it_serves_a_labour(
    compose_worker: Deployment, http: aiohttp.ClientSession
) -> None:
    person = compose_worker.callers(http)("Dana", "Signed")
    assert (await person.post("/birthing-person/register")).status == 201
    begun = await person.post("/labour/begin", {"first_labour": True})
    assert begun.status == 200, begun.body
    started = await person.post("/labour/contraction/start", {"intensity": 5})
    assert started.status == 200, started.body
    async with http.get(f"{compose_worker.worker.url}/api/v1/ready") as ready:
        assert (ready.status, (await ready.json())["checks"]["kafka"]) == (200, "up")
    password = compose_worker.stack.env["LABOUR_TRACKER_KAFKA_PASSWORD"]
    assert password not in compose_worker.log.read_text()


def test_labour_tracker_check_reads_the_topics_signed_in_as_the_workers(compose_worker: Deployment) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "labour_tracker", "check", "--json"],
        env={**os.environ, **compose_worker.stack.env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["checked"]["birthing_person"] >= 1


async def test_a_worker_replies_on_a_topic_under_the_prefix_and_nowhere_its_user_may_not_write(
    secured: ComposeKafka, compose_worker: Deployment
) -> None:
    """A system integrating by commands (here as the admin) asks for replies: on a topic under the prefix it gets
    one; on a topic elsewhere the worker sees no such topic, sends nothing, and parks the command with the reason."""
    system = admin(secured)
    allowed, elsewhere = compose_worker.topic(f"replies-{uuid.uuid4().hex[:6]}"), f"replies-{uuid.uuid4().hex[:6]}"
    for topic in (allowed, elsewhere):
        await create(system, topic)
    person = f"person-{uuid.uuid4().hex[:8]}"
    async with producing(system) as producer:
        for reply_to, command_id in ((allowed, f"{person}-1"), (elsewhere, f"{person}-2")):
            envelope = {"id": command_id, "type": "birthing_person.register", "aggregate_id": person,
                        "data": {"first_name": "Rae", "last_name": "Ply"}}  # fmt: skip
            headers = [("Faust-Ag-ReplyTo", reply_to.encode()), ("Faust-Ag-CorrelationId", command_id.encode())]
            await producer.send_and_wait(
                compose_worker.topic("birthing_person.commands"),
                json.dumps(envelope).encode(),
                key=person.encode(),
                headers=headers,
            )
    refused = f"reply not sent: Faust-Ag-ReplyTo names {elsewhere}, which does not exist"
    async with asyncio.timeout(60):
        while True:
            replies = [json.loads(each) for each in await read_all(system, allowed)]
            letters = [json.loads(each) for each in await read_all(system, compose_worker.topic("dead_letters"))]
            if replies and any(letter["reason"] == refused for letter in letters):
                break
            await asyncio.sleep(0.5)
    assert [reply["correlation_id"] for reply in replies] == [f"{person}-1"]
    assert await read_all(system, elsewhere) == []
