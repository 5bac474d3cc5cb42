"""docker-compose.yml's keycloak-proxy run here: a real nginx with infra/keycloak/proxy.conf, its ports moved to free
loopback ports and its upstream to a local Keycloak; nothing else changed."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from labour_tracker.devstack.process import free_port, port_open, spawn, stop, wait_until
from tests.support.compose import ROOT

PROXY_CONF = ROOT / "infra" / "keycloak" / "proxy.conf"
# What the image's nginx.conf puts around the file (it is included in `http`); here, in a directory of its own.
MAIN = """\
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{}}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    include {dir}/default.conf;
}}
"""


def nginx() -> str:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
    if found is None:
        raise RuntimeError("nginx is needed (infra/system-deps.sh installs it)")
    return found


@dataclass
class KeycloakProxy:
    data_dir: Path
    upstream_port: int  # the local Keycloak's HTTP port, in place of keycloak:8080
    public_port: int = field(default_factory=free_port)  # in place of 8080
    admin_port: int = field(default_factory=free_port)  # in place of 8081
    process: subprocess.Popen[bytes] | None = None

    def config(self) -> str:
        text = PROXY_CONF.read_text()
        moved = {
            "listen 8080;": f"listen 127.0.0.1:{self.public_port};",
            "listen 8081;": f"listen 127.0.0.1:{self.admin_port};",
            "http://keycloak:8080;": f"http://127.0.0.1:{self.upstream_port};",
        }
        for old, new in moved.items():
            assert old in text, f"{PROXY_CONF} no longer has {old!r}"
            text = text.replace(old, new)
        return text

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / "default.conf").write_text(self.config())
        (self.data_dir / "nginx.conf").write_text(MAIN.format(dir=self.data_dir))
        self.process = spawn(
            [nginx(), "-p", str(self.data_dir), "-c", str(self.data_dir / "nginx.conf")],
            log=self.data_dir / "nginx.log",
        )
        wait_until(
            lambda: port_open(self.public_port) and port_open(self.admin_port),
            timeout=20,
            what="nginx",
            process=self.process,
        )

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process, grace=10.0)
            self.process = None
