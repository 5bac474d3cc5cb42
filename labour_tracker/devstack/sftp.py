"""An SFTP server on loopback standing in for the mail relay's pickup host: asyncssh, key or password auth."""

from __future__ import annotations

import argparse
import asyncio
import hmac
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import asyncssh

from labour_tracker.devstack.process import free_port, port_open, spawn, stop, wait_until

USER = "relay"
DROP_DIRECTORY = "pickup"


@dataclass
class SftpServer:
    """Generates its host key, a client key and known_hosts on first start; the drop directory is `pickup/`."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    password: str = "relay-password"
    process: subprocess.Popen[bytes] | None = None

    @property
    def root(self) -> Path:
        return self.data_dir / "root"

    @property
    def drop_directory(self) -> Path:
        return self.root / DROP_DIRECTORY

    @property
    def host_key(self) -> Path:
        return self.data_dir / "ssh_host_ed25519_key"

    @property
    def client_key(self) -> Path:
        return self.data_dir / "client_ed25519_key"

    @property
    def known_hosts(self) -> Path:
        return self.data_dir / "known_hosts"

    def worker_env(self) -> dict[str, str]:
        """The settings that point a worker's email channel at this server, by key with its host key checked."""
        return {
            "LABOUR_TRACKER_SFTP_HOST": "127.0.0.1",
            "LABOUR_TRACKER_SFTP_PORT": str(self.port),
            "LABOUR_TRACKER_SFTP_USERNAME": USER,
            "LABOUR_TRACKER_SFTP_CLIENT_KEY": str(self.client_key),
            "LABOUR_TRACKER_SFTP_KNOWN_HOSTS": str(self.known_hosts),
            "LABOUR_TRACKER_SFTP_DROP_DIR": DROP_DIRECTORY,
        }

    def _write_keys(self) -> None:
        self.drop_directory.mkdir(parents=True, exist_ok=True)
        if not self.host_key.exists():
            asyncssh.generate_private_key("ssh-ed25519").write_private_key(str(self.host_key))
        if not self.client_key.exists():
            client = asyncssh.generate_private_key("ssh-ed25519")
            client.write_private_key(str(self.client_key))
            client.write_public_key(str(self.data_dir / "authorized_keys"))
        host_public = asyncssh.read_private_key(str(self.host_key)).export_public_key().decode().strip()
        self.known_hosts.write_text(f"[127.0.0.1]:{self.port} {host_public}\n")

    def start(self, *, timeout: float = 30.0) -> None:
        self._write_keys()
        self.process = spawn(
            [sys.executable, "-m", "labour_tracker.devstack.sftp", "--port", str(self.port),
             "--root", str(self.root), "--host-key", str(self.host_key),
             "--authorized-keys", str(self.data_dir / "authorized_keys"), "--password", self.password],
            log=self.data_dir / "sftp.log",
        )  # fmt: skip
        wait_until(lambda: port_open(self.port), timeout=timeout, what="SFTP server", process=self.process)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process, grace=10.0)
            self.process = None


class _RelayAccount(asyncssh.SSHServer):
    def __init__(self, password: str) -> None:
        self._password = password

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return username == USER and hmac.compare_digest(password.encode(), self._password.encode())


async def _serve(args: argparse.Namespace) -> None:
    root = str(args.root)
    server = await asyncssh.listen(
        "127.0.0.1",
        args.port,
        server_host_keys=[str(args.host_key)],
        authorized_client_keys=str(args.authorized_keys),
        server_factory=lambda: _RelayAccount(args.password),
        sftp_factory=lambda chan: asyncssh.SFTPServer(chan, chroot=root.encode()),
        allow_scp=False,
    )
    await server.wait_closed()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--host-key", type=Path, required=True)
    parser.add_argument("--authorized-keys", type=Path, required=True)
    parser.add_argument("--password", required=True)
    asyncio.run(_serve(parser.parse_args()))


if __name__ == "__main__":
    main()
