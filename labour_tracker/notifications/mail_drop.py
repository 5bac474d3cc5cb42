"""Email into the mail relay's pickup directory over SFTP (asyncssh), or into a local outbox directory.

Each message becomes `<notification id>.eml`: written as `.<id>.eml.tmp`, then renamed, so the relay never sees
half a file. Between the finished upload and the rename a marker `.<id>.eml.sent` is created and left until the
sender has recorded the outcome: after a crash, "marker there, temporary file gone" means the rename happened
(even if the relay has already taken the file away), and anything else means it did not. So a send that was
interrupted is finished or redone, never repeated: each email is delivered exactly once.
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from datetime import datetime
from email.errors import HeaderParseError
from pathlib import Path, PurePosixPath

import asyncssh

from labour_tracker.notifications.channel import Outgoing, Permanent, Transient
from labour_tracker.notifications.email_message import email_bytes

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10.0
OPERATION_TIMEOUT = 20.0  # one upload; longer counts as a dropped connection


@dataclass(frozen=True, slots=True)
class DropNames:
    """The three names one notification's email goes by in the drop directory."""

    final: str
    temporary: str
    marker: str

    @classmethod
    def of(cls, notification_id: str) -> DropNames:
        if not notification_id or "/" in notification_id or notification_id.startswith("."):
            raise Permanent("a notification id must be a plain file name")
        return cls(f"{notification_id}.eml", f".{notification_id}.eml.tmp", f".{notification_id}.eml.sent")


def _render(message: Outgoing, sender: str, now: datetime) -> bytes:
    try:
        return email_bytes(message, sender=sender, now=now)
    except (ValueError, HeaderParseError):
        raise Permanent("invalid email address") from None


@dataclass(frozen=True)
class SftpLogin:
    host: str
    port: int
    username: str
    password: str | None
    client_key: Path | None
    known_hosts: Path | None  # None: ~/.ssh/known_hosts; the host key is checked either way


class SftpMailDrop:
    """Uploads over one SFTP session, reused; a dropped connection is opened again on the next send."""

    def __init__(self, login: SftpLogin, drop_dir: str, sender: str) -> None:
        self._login = login
        self._drop = PurePosixPath(drop_dir)
        self._sender = sender
        self._connection: asyncssh.SSHClientConnection | None = None
        self._sftp: asyncssh.SFTPClient | None = None
        self._lock = asyncio.Lock()  # one upload at a time on the session, and one reconnect
        self._in_doubt: set[str] = set()  # ids whose upload failed between marker and rename, in this process

    async def send(self, message: Outgoing, *, now: datetime) -> str:
        names = DropNames.of(message.notification_id)
        content = _render(message, self._sender, now)
        final = str(self._drop / names.final)
        async with self._lock:
            sftp = await self._session()
            renaming = False  # once the marker is being made, a failure leaves the rename in doubt
            try:
                async with asyncio.timeout(OPERATION_TIMEOUT):
                    if message.notification_id in self._in_doubt and await self._renamed(sftp, names):
                        self._in_doubt.discard(message.notification_id)
                        return final
                    async with sftp.open(str(self._drop / names.temporary), "wb") as upload:
                        await upload.write(content)
                    renaming = True
                    async with sftp.open(str(self._drop / names.marker), "wb"):
                        pass
                    await sftp.rename(str(self._drop / names.temporary), final)
            except (asyncssh.SFTPNoSuchFile, asyncssh.SFTPPermissionDenied) as error:
                raise Permanent(f"cannot write to the drop directory: {type(error).__name__}") from None
            except (OSError, TimeoutError, asyncssh.Error) as error:
                if renaming:
                    self._in_doubt.add(message.notification_id)  # the next try asks the server first
                await self._drop_session()
                raise Transient(f"SFTP upload interrupted: {type(error).__name__}") from None
        self._in_doubt.discard(message.notification_id)
        log.info("email %s dropped as %s", message.notification_id, final)
        return final

    async def _renamed(self, sftp: asyncssh.SFTPClient, names: DropNames) -> bool:
        """Whether an upload that stopped got as far as the rename: marker there, temporary file gone."""
        marker = await sftp.exists(str(self._drop / names.marker))
        return marker and not await sftp.exists(str(self._drop / names.temporary))

    async def delivered_before(self, message: Outgoing) -> str | None:
        names = DropNames.of(message.notification_id)
        async with self._lock:
            sftp = await self._session()
            try:
                async with asyncio.timeout(OPERATION_TIMEOUT):
                    renamed = await self._renamed(sftp, names)
            except (OSError, TimeoutError, asyncssh.Error) as error:
                await self._drop_session()
                raise Transient(f"cannot check the drop directory: {type(error).__name__}") from None
        return str(self._drop / names.final) if renamed else None

    async def settled(self, notification_id: str) -> None:
        """The outcome is recorded: the marker is no longer needed (a leftover one is harmless)."""
        names = DropNames.of(notification_id)
        async with self._lock:
            try:
                sftp = await self._session()
                await sftp.remove(str(self._drop / names.marker))
            except (OSError, TimeoutError, asyncssh.Error, Transient):
                log.debug("marker of %s left in the drop directory", notification_id)

    async def _session(self) -> asyncssh.SFTPClient:
        if self._sftp is not None and self._connection is not None and not self._connection.is_closed():
            return self._sftp
        await self._drop_session()
        login = self._login
        try:
            self._connection = await asyncssh.connect(
                login.host,
                login.port,
                username=login.username,
                password=login.password,
                client_keys=[str(login.client_key)] if login.client_key else None,
                known_hosts=str(login.known_hosts) if login.known_hosts else (),
                agent_path=None,
                connect_timeout=CONNECT_TIMEOUT,
                keepalive_interval=30,
            )
            self._sftp = await self._connection.start_sftp_client()
        except (asyncssh.HostKeyNotVerifiable, asyncssh.PermissionDenied) as error:
            await self._drop_session()
            raise Permanent(f"the SFTP server refused us: {type(error).__name__}") from None
        except (OSError, TimeoutError, asyncssh.Error) as error:
            await self._drop_session()
            raise Transient(f"cannot reach the SFTP server: {type(error).__name__}") from None
        log.info("SFTP session to %s:%s open", login.host, login.port)
        return self._sftp

    async def _drop_session(self) -> None:
        connection, self._connection, self._sftp = self._connection, None, None
        if connection is not None:
            connection.close()

    async def close(self) -> None:
        async with self._lock:
            await self._drop_session()


class MailOutbox:
    """Writes each email as `<id>.eml` into a local directory, by the same temporary-name-then-rename steps."""

    def __init__(self, directory: Path, sender: str) -> None:
        self._directory = directory
        self._sender = sender

    async def send(self, message: Outgoing, *, now: datetime) -> str:
        names = DropNames.of(message.notification_id)
        content = _render(message, self._sender, now)
        final = await asyncio.to_thread(self._write, names, content)
        log.info("email %s written to the outbox as %s", message.notification_id, final)
        return str(final)

    def _write(self, names: DropNames, content: bytes) -> Path:
        self._directory.mkdir(parents=True, exist_ok=True)
        temporary = self._directory / names.temporary
        temporary.write_bytes(content)
        (self._directory / names.marker).touch()
        os.replace(temporary, self._directory / names.final)
        return self._directory / names.final

    async def delivered_before(self, message: Outgoing) -> str | None:
        names = DropNames.of(message.notification_id)
        done = (self._directory / names.marker).exists() and not (self._directory / names.temporary).exists()
        return str(self._directory / names.final) if done else None

    async def settled(self, notification_id: str) -> None:
        (self._directory / DropNames.of(notification_id).marker).unlink(missing_ok=True)

    async def close(self) -> None:
        return None
