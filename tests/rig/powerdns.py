"""A real PowerDNS Authoritative server (Debian's pdns-server + gsqlite3 backend).

Why: the ``powerdns`` provider must be tested against the server people run,
its HTTP API (X-API-Key, PATCH rrsets, 422/404 error bodies) and its DNS
answers, which are what Pebble's VA queries. Each instance lives in its own
directory: an empty config dir (so /etc/powerdns is never read), a sqlite
database created from the schema the backend package ships, the control
socket; DNS and the webserver/API listen on 127.0.0.1 free ports only, every
cache is off (an answer reflects the last API write), and it is stopped by PID.

Install: ``apt-get install pdns-server pdns-backend-sqlite3`` (4.7 on Debian 12).
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import requests

from .ports import free_port
from .procs import INSTALL_HINT, ProcessServer, RigError, ServerProcess, find_binary, retry_on_clash

SCHEMA_PATHS = (
    Path("/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql"),
    Path("/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql"),
)
API_PREFIX = "/api/v1/servers/localhost"


def schema_sql() -> str:
    """The gsqlite3 schema shipped by pdns-backend-sqlite3 (an error naming the package)."""
    for path in SCHEMA_PATHS:
        if path.is_file():
            return path.read_text()
    raise RigError(f"pdns-backend-sqlite3 schema not found in {SCHEMA_PATHS}; {INSTALL_HINT}")


class PowerDns(ProcessServer):
    """``pdns_server`` with the gsqlite3 backend, its API enabled with a random key.

    ``zones`` are created through the API itself at start (Native zones with
    NS ns1.<zone> and an A for it), so the rig uses the same interface as the
    provider under test.
    """

    def __init__(
        self,
        workdir: Path,
        *,
        zones: Sequence[str] = ("example.test.",),
        start_timeout: float = 30.0,
    ) -> None:
        self.workdir = workdir
        self.zones = tuple(z.rstrip(".") + "." for z in zones)
        self.start_timeout = start_timeout
        self.api_key = secrets.token_urlsafe(24)
        self.db_path = workdir / "pdns.sqlite3"
        self.log_path = workdir / "pdns.log"
        self.dns_port = 0
        self.api_port = 0
        self.startup_seconds = 0.0
        self._proc: ServerProcess | None = None

    @property
    def dns_address(self) -> str:
        """``127.0.0.1:<port>``: Pebble's ``-dnsserver`` and the propagation nameserver."""
        return f"127.0.0.1:{self.dns_port}"

    @property
    def api_url(self) -> str:
        """The webserver's base URL (the provider appends /api/v1/...)."""
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def pid(self) -> int:
        if self._proc is None:
            raise RuntimeError("pdns_server is not running")
        return self._proc.pid

    def start(self) -> Self:
        binary = find_binary("pdns_server")
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "conf").mkdir(exist_ok=True)
        (self.workdir / "conf" / "pdns.conf").write_text("")  # nothing from /etc/powerdns
        if not self.db_path.exists():
            with sqlite3.connect(self.db_path) as db:
                db.executescript(schema_sql())
        retry_on_clash(lambda: self._launch(binary))
        for zone in self.zones:
            self.create_zone(zone)
        return self

    def _launch(self, binary: str) -> None:
        self.dns_port, self.api_port = free_port(), free_port()
        wd = self.workdir
        argv = [
            binary,
            f"--config-dir={wd / 'conf'}",
            f"--socket-dir={wd}",
            "--daemon=no",
            "--guardian=no",
            "--disable-syslog=yes",
            "--write-pid=no",
            "--launch=gsqlite3",
            f"--gsqlite3-database={self.db_path}",
            "--local-address=127.0.0.1",
            f"--local-port={self.dns_port}",
            "--webserver=yes",
            "--webserver-address=127.0.0.1",
            f"--webserver-port={self.api_port}",
            "--webserver-allow-from=127.0.0.0/8",
            "--api=yes",
            f"--api-key={self.api_key}",
            "--cache-ttl=0",
            "--negquery-cache-ttl=0",
            "--query-cache-ttl=0",
            "--zone-cache-refresh-interval=0",
            "--loglevel=5",
        ]
        proc = ServerProcess("pdns_server", argv, log_path=self.log_path, cwd=wd)
        proc.start()
        self._proc = proc
        self.startup_seconds = proc.wait_ready(
            self._ready, what="the API answers", timeout=self.start_timeout
        )

    def _ready(self) -> bool:
        response = self.api("GET", "")
        return response.status_code == 200 and response.json().get("id") == "localhost"

    # -- API helpers for tests (the provider under test has its own client) --------------

    def api(self, method: str, path: str, body: Any = None) -> requests.Response:
        """One authenticated API call to ``/api/v1/servers/localhost{path}``."""
        return requests.request(
            method,
            f"{self.api_url}{API_PREFIX}{path}",
            json=body,
            headers={"X-API-Key": self.api_key},
            timeout=10,
        )

    def create_zone(self, zone: str) -> None:
        """A Native zone with NS ns1.<zone> and ns1 A 127.0.0.1."""
        origin = zone.rstrip(".") + "."
        body = {
            "name": origin,
            "kind": "Native",
            "nameservers": [f"ns1.{origin}"],
            "rrsets": [
                {
                    "name": f"ns1.{origin}",
                    "type": "A",
                    "ttl": 60,
                    "records": [{"content": "127.0.0.1", "disabled": False}],
                }
            ],
        }
        response = self.api("POST", "/zones", body)
        if response.status_code != 201:
            raise RigError(f"pdns: creating zone {origin} answered {response.status_code}")

    def api_txt(self, name: str) -> list[str]:
        """TXT contents at ``name`` as the API holds them (quotes stripped), sorted."""
        name = name.rstrip(".") + "."
        zone = next(
            (z for z in sorted(self.zones, key=len, reverse=True) if name.endswith(z)), None
        )
        if zone is None:
            raise RigError(f"no rig zone holds {name}")
        body = self.api("GET", f"/zones/{zone}").json()
        return sorted(
            record["content"].strip('"')
            for rrset in body.get("rrsets", [])
            if rrset["name"] == name and rrset["type"] == "TXT"
            for record in rrset["records"]
        )

    def set_txt(self, name: str, values: Sequence[str]) -> None:
        """Replace the TXT set at ``name`` directly (a foreign writer's values)."""
        name = name.rstrip(".") + "."
        zone = next(z for z in sorted(self.zones, key=len, reverse=True) if name.endswith(z))
        rrset = {
            "name": name,
            "type": "TXT",
            "ttl": 60,
            "changetype": "REPLACE",
            "records": [{"content": f'"{v}"', "disabled": False} for v in values],
        }
        response = self.api("PATCH", f"/zones/{zone}", {"rrsets": [rrset]})
        if response.status_code != 204:
            raise RigError(f"pdns: PATCH {name} answered {response.status_code}")

    def txt_values(self, name: str) -> list[str]:
        """The TXT strings the DNS server answers for ``name`` (authoritative, over TCP)."""
        query = dns.message.make_query(name, "TXT")
        response = dns.query.tcp(query, "127.0.0.1", port=self.dns_port, timeout=5)
        if response.rcode() not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
            raise RigError(f"pdns answered {dns.rcode.to_text(response.rcode())} for {name}")
        if not response.flags & dns.flags.AA:
            raise RigError(f"pdns is not authoritative for {name}")
        return sorted(
            b"".join(rd.strings).decode()
            for rrset in response.answer
            if rrset.rdtype == dns.rdatatype.TXT
            for rd in rrset
        )
