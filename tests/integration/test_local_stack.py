"""The local stack is made of real parts: Apache Kafka 4.x from Maven Central, PostgreSQL, an SFTP server."""

from __future__ import annotations

import uuid

import asyncpg
import asyncssh
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaTimeoutError, UnknownTopicOrPartitionError

from labour_tracker.devstack.kafka import KafkaBroker, ensure_kafka, kafka_version
from labour_tracker.devstack.postgres import PostgresCluster
from labour_tracker.devstack.sftp import USER, SftpServer
from tests.support.kafka import create_topic


def test_the_broker_is_apache_kafka_4_from_maven_central(kafka: KafkaBroker) -> None:
    assert kafka_version().startswith("4.")
    assert (ensure_kafka() / f"kafka_2.13-{kafka_version()}.jar").is_file()
    assert f"Kafka version: {kafka_version()}" in (kafka.data_dir / "broker.log").read_text()


async def test_the_broker_does_not_invent_topics_on_first_use_as_in_production(kafka: KafkaBroker) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, request_timeout_ms=1500)
    await producer.start()
    try:
        with pytest.raises((KafkaTimeoutError, UnknownTopicOrPartitionError)):
            await producer.send_and_wait(f"never-declared-{uuid.uuid4().hex}", b"lost")
    finally:
        await producer.stop()


async def test_the_broker_delivers_what_is_produced(kafka: KafkaBroker) -> None:
    topic = f"stack-check-{uuid.uuid4().hex}"
    await create_topic(kafka.bootstrap, topic)
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"hello", key=b"k")
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=kafka.bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        record = await consumer.getone()
    finally:
        await consumer.stop()
    assert (record.key, record.value) == (b"k", b"hello")


async def test_the_postgres_cluster_keeps_data_across_a_restart(postgres: PostgresCluster) -> None:
    connection = await asyncpg.connect(postgres.dsn)
    await connection.execute("CREATE TABLE IF NOT EXISTS stack_check (value text)")
    await connection.execute("INSERT INTO stack_check VALUES ('kept')")
    await connection.close()
    postgres.stop()
    postgres.start()
    connection = await asyncpg.connect(postgres.dsn)
    try:
        assert await connection.fetchval("SELECT value FROM stack_check") == "kept"
    finally:
        await connection.execute("DROP TABLE stack_check")
        await connection.close()


def _connect(sftp: SftpServer, **auth: object) -> asyncssh.SSHClientConnection:
    return asyncssh.connect("127.0.0.1", sftp.port, username=USER, known_hosts=str(sftp.known_hosts), **auth)  # type: ignore[return-value]


async def test_the_sftp_server_takes_an_upload_into_the_drop_directory(sftp: SftpServer) -> None:
    name = f"{uuid.uuid4().hex}.eml"
    async with (
        _connect(sftp, client_keys=[str(sftp.client_key)]) as connection,  # type: ignore[attr-defined]
        connection.start_sftp_client() as client,
    ):
        async with client.open(f"pickup/{name}.part", "w") as upload:
            await upload.write("Subject: hello\r\n\r\nbody\r\n")
        await client.rename(f"pickup/{name}.part", f"pickup/{name}")
    assert (sftp.drop_directory / name).read_bytes() == b"Subject: hello\r\n\r\nbody\r\n"


async def test_the_sftp_server_accepts_the_relay_password_and_refuses_a_wrong_one(sftp: SftpServer) -> None:
    async with _connect(sftp, password=sftp.password, client_keys=None) as connection:  # type: ignore[attr-defined]
        assert connection.get_extra_info("username") == USER
    with pytest.raises(asyncssh.PermissionDenied):
        async with _connect(sftp, password="wrong", client_keys=None):  # type: ignore[attr-defined]
            pass


async def test_the_sftp_client_refuses_a_server_with_an_unknown_host_key(sftp: SftpServer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    stranger = tmp_path / "known_hosts"
    other_key = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode().strip()
    stranger.write_text(f"[127.0.0.1]:{sftp.port} {other_key}\n")
    with pytest.raises(asyncssh.HostKeyNotVerifiable):
        async with asyncssh.connect(
            "127.0.0.1",
            sftp.port,
            username=USER,
            known_hosts=str(stranger),
            client_keys=[str(sftp.client_key)],
        ):
            pass
