"""Keycloak from Maven Central: the server distribution, fetched and built once, run on loopback with our realm.

The same realm file and Keycloak version as docker-compose.yml, so tokens the tests sign in for are the tokens
production issues. `python -m labour_tracker.devstack.keycloak` fetches and builds it (what `make keycloak` runs).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labour_tracker.devstack.process import cache_dir, free_port, spawn, stop, wait_until

INFRA = Path(__file__).resolve().parents[2] / "infra" / "keycloak"
POM = INFRA / "pom.xml"
REALM_FILE = INFRA / "labour-tracker-realm.json"
REALM = "labour-tracker"
# Build-time options: `start --optimized` refuses to run with others, so they are fixed here once.
BUILD_OPTIONS = ("--db=dev-file", "--health-enabled=true", "--cache=local")
HEAP = "-Xms64m -Xmx512m"
# A short-lived server: the quick compiler alone starts it in about half the time.
JAVA_OPTS_APPEND = "-XX:TieredStopAtLevel=1"


def keycloak_version() -> str:
    """The pinned server version: the single place it is written is infra/keycloak/pom.xml."""
    namespace = {"m": "http://maven.apache.org/POM/4.0.0"}
    node = ET.parse(POM).getroot().find("m:properties/m:keycloak.version", namespace)
    assert node is not None and node.text, f"keycloak.version is missing from {POM}"
    return node.text


def ensure_keycloak() -> Path:
    """The built server's home directory, fetched by Maven from Maven Central and built on first use."""
    home = cache_dir() / f"keycloak-{keycloak_version()}"
    built = home / ".built"
    if built.exists():
        if built.read_text() != " ".join(BUILD_OPTIONS):
            _build(home)
        return home
    if shutil.which("mvn") is None:
        raise RuntimeError("Maven (mvn) is needed to fetch Keycloak from Maven Central")
    partial = home.with_name(home.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    download = partial / "download"
    subprocess.run(
        ["mvn", "-q", "-B", "-f", str(POM), "dependency:copy-dependencies", f"-DoutputDirectory={download}"],
        check=True,
    )
    (archive,) = download.glob("keycloak-quarkus-dist-*.zip")
    with zipfile.ZipFile(archive) as dist:
        for member in dist.infolist():
            # The distribution's single top directory is dropped; file modes (bin/kc.sh) are kept.
            target = partial / "server" / Path(*Path(member.filename).parts[1:])
            if member.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with dist.open(member) as source, target.open("wb") as out:
                shutil.copyfileobj(source, out)
            mode = member.external_attr >> 16
            if mode:
                target.chmod(mode & 0o777)
    shutil.rmtree(download)
    server = partial / "server"
    _build(server)
    server.rename(home)  # whole or not at all, so an interrupted fetch or build is redone
    shutil.rmtree(partial)
    return home


def _build(server: Path) -> None:
    """Keycloak's build step, which fixes the build-time options; recorded, so a change of options rebuilds."""
    subprocess.run(
        [str(server / "bin" / "kc.sh"), "build", *BUILD_OPTIONS],
        check=True,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "JAVA_OPTS_KC_HEAP": HEAP},
    )
    (server / ".built").write_text(" ".join(BUILD_OPTIONS))


@dataclass
class KeycloakServer:
    """One Keycloak on 127.0.0.1 that imports our realm; its public address is its loopback address."""

    data_dir: Path
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    admin_password: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    port: int = field(default_factory=free_port)
    management_port: int = field(default_factory=free_port)
    web_app_url: str = "http://localhost:3000"
    api_url: str = "http://localhost:8000"  # the workers' address, whose API page signs in through the public client
    public_url: str | None = None  # its address as browsers reach it (through a proxy); None: its own address
    admin_url: str | None = None  # the admin console's address (Keycloak's hostname-admin); None: the public one
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def issuer(self) -> str:
        return f"{self.public_url or self.url}/realms/{REALM}"

    @property
    def home(self) -> Path:
        """This server's KEYCLOAK_HOME (its bin/ has kcadm.sh, the admin CLI)."""
        return self._home()

    def _home(self) -> Path:
        """A home of this server's own (its database, its import folder) sharing the cached build's libraries."""
        built = ensure_keycloak()
        home = self.data_dir / "server"
        if not home.exists():
            for name in ("bin", "conf"):
                shutil.copytree(built / name, home / name)
            for name in ("lib", "providers", "themes"):
                (home / name).symlink_to(built / name)
            (home / "data" / "import").mkdir(parents=True)
            shutil.copy(REALM_FILE, home / "data" / "import" / REALM_FILE.name)
        return home

    def start(self, *, wait: bool = True) -> None:
        home = self._home()
        env = {
            **os.environ,
            "JAVA_OPTS_KC_HEAP": HEAP,
            "JAVA_OPTS_APPEND": JAVA_OPTS_APPEND,
            "KC_BOOTSTRAP_ADMIN_USERNAME": "admin",
            "KC_BOOTSTRAP_ADMIN_PASSWORD": self.admin_password,
            # The realm file's placeholders, as compose gives them.
            "API_CLIENT_SECRET": self.client_secret,
            "WEB_APP_URL": self.web_app_url,
            "API_URL": self.api_url,
        }
        self.process = spawn(
            [
                str(home / "bin" / "kc.sh"), "start", "--optimized", "--import-realm",
                "--http-enabled=true", "--http-host=127.0.0.1", f"--http-port={self.port}",
                f"--http-management-port={self.management_port}", f"--hostname={self.public_url or self.url}",
                *([f"--hostname-admin={self.admin_url}"] if self.admin_url else []),
                *(["--proxy-headers=xforwarded"] if self.public_url else []),  # as compose runs it, behind its proxy
            ],
            log=self.data_dir / "keycloak.log",
            env=env,
        )  # fmt: skip
        if wait:
            self.wait_ready()

    def wait_ready(self, *, timeout: float = 120.0) -> None:
        assert self.process is not None, "start() first"
        wait_until(self._ready, timeout=timeout, what="Keycloak", process=self.process)

    def _ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.management_port}/health/ready", timeout=1):
                pass
            # Ready is reported before the realm import finishes; the realm's discovery document comes after it.
            with urllib.request.urlopen(f"{self.url}/realms/{REALM}/.well-known/openid-configuration", timeout=2):
                return True
        except (OSError, urllib.error.HTTPError):
            return False

    def admin_token(self) -> str:
        return self.token("master", client_id="admin-cli", username="admin", password=self.admin_password)

    def token(
        self, realm: str = REALM, *, client_id: str, username: str, password: str, client_secret: str | None = None
    ) -> str:
        """An access token from the password grant."""
        form = {"grant_type": "password", "client_id": client_id, "username": username, "password": password}
        if client_secret is not None:
            form["client_secret"] = client_secret
        answer = _post_form(f"{self.url}/realms/{realm}/protocol/openid-connect/token", form)
        return str(answer["access_token"])

    def create_user(self, user: dict[str, Any]) -> str:
        """A user of our realm, through the admin API (as the console would create one); returns their id."""
        with self._admin("POST", "users", user) as response:
            assert response.status == 201, response.status
            return str(response.headers["Location"]).rsplit("/", 1)[-1]

    def grant_realm_role(self, user_id: str, role: str) -> None:
        """Give the user one of the realm's roles, as *Users → Role mapping* in the console does."""
        with self._admin("GET", f"roles/{role}") as response:
            granted = json.load(response)
        with self._admin("POST", f"users/{user_id}/role-mappings/realm", [granted]) as response:
            assert response.status == 204, response.status

    def _admin(self, method: str, path: str, body: Any = None) -> Any:
        request = urllib.request.Request(
            f"{self.url}/admin/realms/{REALM}/{path}",
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.admin_token()}", "Content-Type": "application/json"},
            method=method,
        )
        return urllib.request.urlopen(request, timeout=10)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process, grace=30.0)
            self.process = None


def _post_form(url: str, form: dict[str, str]) -> Any:
    data = urllib.parse.urlencode(form).encode()
    with urllib.request.urlopen(urllib.request.Request(url, data=data, method="POST"), timeout=10) as response:
        return json.load(response)


def main() -> None:
    """Fetch and build the pinned Keycloak (`make keycloak`)."""
    home = ensure_keycloak()
    print(f"Keycloak {keycloak_version()} from Maven Central: ready in {home}")


if __name__ == "__main__":
    main()
