"""pebble-challtestsrv as a scriptable DNS server for Pebble's VA.

Why: some tests only need "Pebble sees this TXT record" without exercising a
real DNS provider; challtestsrv serves whatever its management API was told,
over UDP and TCP (Pebble's VA uses TCP).  Only its DNS server and management
API are enabled; HTTP-01, HTTPS-01, TLS-ALPN-01 and DoH are switched off.

Facts checked in pebble v2.10.3 / challtestsrv v1.4.2:
- the DNS flag is ``-dnsserver`` (there is no ``-dns01``);
- ``/set-txt`` APPENDS a value, ``/clear-txt`` removes all values of a host;
- record keys are FQDN-normalised but case-sensitive; the request history
  is keyed by the name without its trailing dot;
- every name without a record still gets an A answer from ``-defaultIPv4``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import dns.message
import dns.query
import dns.rdatatype
import requests

from .ports import free_port
from .procs import ProcessServer, ServerProcess, find_binary, retry_on_clash


class Challtestsrv(ProcessServer):
    """A pebble-challtestsrv process: DNS on 127.0.0.1, HTTP management API."""

    def __init__(
        self, workdir: Path, *, default_ipv4: str = "127.0.0.1", start_timeout: float = 20.0
    ) -> None:
        self.workdir = workdir
        self.default_ipv4 = default_ipv4
        self.start_timeout = start_timeout
        self.log_path = workdir / "challtestsrv.log"
        self.dns_port = 0
        self.management_port = 0
        self.startup_seconds = 0.0
        self._proc: ServerProcess | None = None

    @property
    def dns_address(self) -> str:
        """``127.0.0.1:<port>``: pass to Pebble's ``-dnsserver``."""
        return f"127.0.0.1:{self.dns_port}"

    @property
    def management_url(self) -> str:
        """Base URL of the plain-HTTP management API."""
        return f"http://127.0.0.1:{self.management_port}"

    @property
    def pid(self) -> int:
        """PID of the running process."""
        if self._proc is None:
            raise RuntimeError("challtestsrv is not running")
        return self._proc.pid

    def start(self) -> Challtestsrv:
        """Launch and wait until both the DNS port and the management API answer."""
        binary = find_binary("pebble-challtestsrv")
        self.workdir.mkdir(parents=True, exist_ok=True)
        retry_on_clash(lambda: self._launch(binary))
        return self

    def _launch(self, binary: str) -> None:
        self.dns_port, self.management_port = free_port(), free_port()
        argv = [
            binary,
            "-http01",
            "",
            "-https01",
            "",
            "-tlsalpn01",
            "",
            "-doh",
            "",
            "-dnsserver",
            self.dns_address,
            "-management",
            f"127.0.0.1:{self.management_port}",
            "-defaultIPv4",
            self.default_ipv4,
            "-defaultIPv6",
            "",
        ]
        proc = ServerProcess("pebble-challtestsrv", argv, log_path=self.log_path, cwd=self.workdir)
        proc.start()
        self._proc = proc
        self.startup_seconds = proc.wait_ready(
            self._ready, what="DNS and management ready", timeout=self.start_timeout
        )

    def _ready(self) -> bool:
        query = dns.message.make_query("rig-ready.test.", dns.rdatatype.A)
        # TCP: refused instantly until listening, where UDP would wait out a timeout.
        answer = dns.query.tcp(query, "127.0.0.1", port=self.dns_port, timeout=1.0)
        with requests.Session() as http:
            http.trust_env = False
            resp = http.post(
                f"{self.management_url}/dns-request-history",
                json={"host": "rig-ready.test."},
                timeout=2,
            )
        return bool(answer.answer) and resp.status_code == 200

    # -- management API ------------------------------------------------------------
    def post(self, path: str, payload: dict[str, Any]) -> None:
        """POST JSON to a management endpoint; raise on a non-2xx status."""
        with requests.Session() as http:
            http.trust_env = False
            resp = http.post(f"{self.management_url}{path}", json=payload, timeout=10)
        resp.raise_for_status()

    def dns_request_history(self, host: str) -> list[dict[str, Any]]:
        """DNS queries received for ``host`` (lets tests prove Pebble looked it up).

        challtestsrv keys its history by the query name WITHOUT the trailing dot.
        """
        host = host.rstrip(".")
        with requests.Session() as http:
            http.trust_env = False
            resp = http.post(
                f"{self.management_url}/dns-request-history", json={"host": host}, timeout=10
            )
        resp.raise_for_status()
        events: list[dict[str, Any]] = resp.json()
        return events

    def set_txt(self, host: str, value: str) -> None:
        """Add (append) a TXT value for ``host``."""
        self.post("/set-txt", {"host": host, "value": value})

    def clear_txt(self, host: str) -> None:
        """Remove every TXT value of ``host``."""
        self.post("/clear-txt", {"host": host})

    def set_cname(self, host: str, target: str) -> None:
        """Answer ``host`` with a CNAME to ``target`` (followed by challtestsrv)."""
        self.post("/set-cname", {"host": host, "target": target})

    def clear_cname(self, host: str) -> None:
        """Remove the CNAME of ``host``."""
        self.post("/clear-cname", {"host": host})

    def set_servfail(self, host: str) -> None:
        """Make every query for ``host`` answer SERVFAIL."""
        self.post("/set-servfail", {"host": host})

    def clear_servfail(self, host: str) -> None:
        """Undo set_servfail."""
        self.post("/clear-servfail", {"host": host})

    def add_caa(self, host: str, *policies: tuple[str, str]) -> None:
        """Answer CAA queries for ``host`` with these (tag, value) records (appended).

        challtestsrv writes every record with flags 0 (its CAAPolicy has no flags).
        """
        self.post(
            "/add-caa",
            {"host": host, "policies": [{"tag": tag, "value": value} for tag, value in policies]},
        )

    def clear_caa(self, host: str) -> None:
        """Remove every CAA record of ``host``."""
        self.post("/clear-caa", {"host": host})

    def txt_writes(self) -> list[str]:
        """Hosts a TXT value was added for, in order, as challtestsrv logged them."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return re.findall(r'Added TXT response for Host "([^"]+)"', text)
