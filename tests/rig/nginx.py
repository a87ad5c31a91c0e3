"""nginx (Debian's ``nginx-light``) serving TLS sites from files on disk.

Why: ``renewer verify`` must see what a real web server serves, including
what it keeps serving until it is reloaded. Each instance gets its own
prefix, config, pid file and error log in a temporary folder, runs in the
foreground (``daemon off``) as our child, is reloaded with
``nginx -s reload -p PREFIX -c CONF`` (a new config load, which is when nginx
reads certificate files), and is stopped by PID. Only 127.0.0.x addresses.
"""

from __future__ import annotations

import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from .procs import ProcessServer, RigError, ServerProcess, find_binary


@dataclass(frozen=True)
class Site:
    """One ``server`` block: where it listens, the names it answers and its files."""

    host: str
    port: int
    certificate: Path  # fullchain (or just the leaf, to serve an incomplete chain)
    key: Path
    names: tuple[str, ...] = ()  # server_name; empty: the default server of the address


class Nginx(ProcessServer):
    """One nginx master with its own prefix; ``sites`` may change before ``reload``."""

    def __init__(self, workdir: Path, sites: list[Site]) -> None:
        self.workdir = workdir
        self.sites = list(sites)
        self.binary = find_binary("nginx")
        self.conf = workdir / "nginx.conf"
        self.log = workdir / "error.log"

    def _render(self) -> str:
        blocks = []
        seen_default: set[tuple[str, int]] = set()
        for site in self.sites:
            listen = f"{site.host}:{site.port}"
            default = ""
            if not site.names and (site.host, site.port) not in seen_default:
                default = " default_server"
                seen_default.add((site.host, site.port))
            names = " ".join(site.names) or '""'
            blocks.append(
                f"  server {{\n    listen {listen} ssl{default};\n    server_name {names};\n"
                f"    ssl_certificate {site.certificate};\n"
                f"    ssl_certificate_key {site.key};\n    return 200 'ok';\n  }}\n"
            )
        temp = self.workdir / "temp"
        temps = "".join(
            f"  {kind}_temp_path {temp / kind};\n"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        return (
            f"worker_processes 1;\ndaemon off;\npid {self.workdir / 'nginx.pid'};\n"
            f"error_log {self.log} info;\nevents {{ worker_connections 512; }}\n"
            f"http {{\n  access_log off;\n{temps}" + "".join(blocks) + "}\n"
        )

    def _write(self) -> None:
        (self.workdir / "temp").mkdir(parents=True, exist_ok=True)
        self.conf.write_text(self._render())

    def start(self) -> Self:
        self._write()
        self._proc = ServerProcess(
            "nginx",
            [self.binary, "-p", str(self.workdir), "-c", str(self.conf), "-e", str(self.log)],
            log_path=self.workdir / "nginx.out",
        )
        self._proc.start()
        self._proc.wait_ready(self._listening, what="all sites listening", timeout=15)
        return self

    def _listening(self) -> bool:
        for site in self.sites:
            with socket.create_connection((site.host, site.port), timeout=1):
                pass
        return True

    def reload(self) -> None:
        """Rewrite the config and signal a reload; nginx re-reads certificate files now."""
        self._write()
        done = subprocess.run(
            [self.binary, "-s", "reload", "-p", str(self.workdir), "-c", str(self.conf),
             "-e", str(self.log)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise RigError(f"nginx reload failed: {done.stderr}\n{self.log.read_text()[-2000:]}")
