"""The email channel against the real SFTP server: what the relay finds in its pickup directory, and outages."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path

import asyncssh
import pytest

from labour_tracker.devstack.sftp import DROP_DIRECTORY, USER, SftpServer
from labour_tracker.domain.notification import Names
from labour_tracker.domain.subscriber.model import ContactMethod
from labour_tracker.notifications.channel import Outgoing, Permanent, Transient
from labour_tracker.notifications.mail_drop import DropNames, MailOutbox, SftpLogin, SftpMailDrop

NOW = datetime(2025, 3, 14, 6, 0, tzinfo=UTC)
SENDER = "Labour Tracker <notifications@labour-tracker.test>"


def outgoing(event_type: str = "labour.begun", address: str = "sam@example.org") -> Outgoing:
    return Outgoing(
        notification_id=str(uuid.uuid4()),
        channel=ContactMethod.EMAIL,
        destination=address,
        event_type=event_type,
        event_time=NOW,
        names=Names("Sam", "Bea", "Moyo"),
        subscriber_full_name="Sam Lee",
    )


def key_login(server: SftpServer) -> SftpLogin:
    return SftpLogin("127.0.0.1", server.port, USER, None, server.client_key, server.known_hosts)


def parse(path: Path) -> EmailMessage:
    parsed = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert isinstance(parsed, EmailMessage)
    return parsed


@pytest.fixture
async def drop(sftp: SftpServer) -> AsyncIterator[SftpMailDrop]:
    channel = SftpMailDrop(key_login(sftp), DROP_DIRECTORY, SENDER)
    yield channel
    await channel.close()


async def test_each_email_is_one_eml_file_with_proper_headers_and_text_and_html_parts(
    drop: SftpMailDrop, sftp: SftpServer
) -> None:
    message = outgoing("labour.urgent_attention_advised")
    where = await drop.send(message, now=NOW)
    assert where == f"{DROP_DIRECTORY}/{message.notification_id}.eml"

    email = parse(sftp.drop_directory / f"{message.notification_id}.eml")
    assert email["From"] == SENDER
    assert email["To"] == "Sam Lee <sam@example.org>"
    assert email["Subject"] == "Urgent: please check on Bea Moyo now"
    assert parsedate_to_datetime(email["Date"]) == NOW
    assert email["Message-ID"] == f"<{message.notification_id}@labour-tracker.test>"
    assert email.get_content_type() == "multipart/alternative"
    text, html = email.get_body(("plain",)), email.get_body(("html",))
    assert text is not None and html is not None
    assert "Sam, Bea Moyo's labour may need urgent attention." in text.get_content()
    assert "Bea Moyo&#x27;s labour may need urgent attention." in html.get_content()
    assert not (sftp.drop_directory / f".{message.notification_id}.eml.tmp").exists(), "renamed, not copied"


async def test_the_session_is_reused_and_password_login_works_too(sftp: SftpServer) -> None:
    login = SftpLogin("127.0.0.1", sftp.port, USER, sftp.password, None, sftp.known_hosts)
    channel = SftpMailDrop(login, DROP_DIRECTORY, SENDER)
    first = await channel.send(outgoing(), now=NOW)
    session = channel._connection
    second = await channel.send(outgoing("labour.completed"), now=NOW)
    assert channel._connection is session is not None
    await channel.close()
    assert (sftp.root / first).is_file() and (sftp.root / second).is_file()


async def test_an_unknown_host_key_or_a_wrong_password_is_refused(sftp: SftpServer, tmp_path: Path) -> None:
    stranger = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode().strip()
    (tmp_path / "known_hosts").write_text(f"[127.0.0.1]:{sftp.port} {stranger}\n")
    impostor = SftpLogin("127.0.0.1", sftp.port, USER, None, sftp.client_key, tmp_path / "known_hosts")
    for login in (impostor, SftpLogin("127.0.0.1", sftp.port, USER, "wrong", None, sftp.known_hosts)):
        channel = SftpMailDrop(login, DROP_DIRECTORY, SENDER)
        with pytest.raises(Permanent, match="refused us"):
            await channel.send(outgoing(), now=NOW)
        await channel.close()


async def test_an_invalid_address_or_a_missing_drop_directory_fails_at_once(sftp: SftpServer) -> None:
    channel = SftpMailDrop(key_login(sftp), DROP_DIRECTORY, SENDER)
    with pytest.raises(Permanent, match="invalid email address"):
        await channel.send(outgoing(address="not an address"), now=NOW)
    await channel.close()
    nowhere = SftpMailDrop(key_login(sftp), "no-such-directory", SENDER)
    with pytest.raises(Permanent, match="drop directory"):
        await nowhere.send(outgoing(), now=NOW)
    await nowhere.close()


async def test_a_stopped_server_is_a_transient_failure_and_the_channel_reconnects_when_it_is_back(
    drop: SftpMailDrop, sftp: SftpServer
) -> None:
    await drop.send(outgoing(), now=NOW)
    sftp.stop()
    try:
        with pytest.raises(Transient):
            await drop.send(outgoing(), now=NOW)
        with pytest.raises(Transient, match="cannot reach"):
            await drop.send(outgoing(), now=NOW)
    finally:
        await asyncio.to_thread(sftp.start)
    message = outgoing("labour.completed")
    await drop.send(message, now=NOW)
    assert parse(sftp.drop_directory / f"{message.notification_id}.eml")["Subject"] == "Bea Moyo has completed labour"


async def test_after_an_interruption_the_marker_tells_whether_the_rename_happened(
    drop: SftpMailDrop, sftp: SftpServer
) -> None:
    never_started, uploaded_not_renamed, renamed_and_taken = outgoing(), outgoing(), outgoing()
    names = DropNames.of(uploaded_not_renamed.notification_id)
    (sftp.drop_directory / names.temporary).write_bytes(b"half")
    (sftp.drop_directory / names.marker).touch()
    await drop.send(renamed_and_taken, now=NOW)
    (sftp.drop_directory / f"{renamed_and_taken.notification_id}.eml").unlink()  # the relay took it away

    assert await drop.delivered_before(never_started) is None
    assert await drop.delivered_before(uploaded_not_renamed) is None
    assert await drop.delivered_before(renamed_and_taken) == f"{DROP_DIRECTORY}/{renamed_and_taken.notification_id}.eml"
    await drop.settled(renamed_and_taken.notification_id)
    assert not (sftp.drop_directory / DropNames.of(renamed_and_taken.notification_id).marker).exists()


async def test_without_sftp_emails_go_to_the_local_outbox_the_same_way(tmp_path: Path) -> None:
    outbox = MailOutbox(tmp_path / "mail", SENDER)
    message = outgoing()
    assert await outbox.delivered_before(message) is None
    where = Path(await outbox.send(message, now=NOW))
    assert where == tmp_path / "mail" / f"{message.notification_id}.eml"
    assert parse(where)["Subject"] == "Bea Moyo is going into labour"
    assert await outbox.delivered_before(message) == str(where)
    await outbox.settled(message.notification_id)
    assert sorted(each.name for each in (tmp_path / "mail").iterdir()) == [where.name]
