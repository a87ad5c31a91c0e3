"""A real Pebble ACME server for integration tests.

Why a real one: the renewer's ACME flow (nonces, EAB, profiles, ARI,
DNS-01 validation against a real DNS server) is exactly what mocks get
wrong.  Pebble 2.10 is started per test (or per factory call) on free
127.0.0.1 ports, with its HTTPS listener using the rig's throwaway TLS root.

Config facts checked in the v2.10.3 source (cmd/pebble/main.go, ca/ca.go):
- ``certificateValidityPeriod`` is parsed but IGNORED ("Deprecated: use
  Profiles.ValidityPeriod"); validity only comes from ``profiles``.  So a
  requested validity is written both there (for the record) and into every
  profile that has none of its own.
- ``profiles`` is ``{name: {"description": str, "validityPeriod": seconds}}``;
  an order naming no profile gets a RANDOM configured profile.
- ``externalAccountMACKeys`` values must be unpadded base64url.
- With ``-dnsserver`` the VA queries that server over TCP only.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from .ports import free_port
from .procs import ProcessServer, ServerProcess, find_binary, retry_on_clash
from .tls import TlsMaterial


@dataclass(frozen=True)
class PebbleProfile:
    """One entry of Pebble's ``profiles`` map; validity in seconds (None: 90 days)."""

    description: str = "renewer test rig profile"
    validity_period: int | None = None


def make_eab_key(nbytes: int = 32) -> str:
    """A random HMAC key in the unpadded base64url form Pebble requires."""
    return base64.urlsafe_b64encode(secrets.token_bytes(nbytes)).rstrip(b"=").decode()


def _http() -> requests.Session:
    """A session that ignores proxy/CA env vars (REQUESTS_CA_BUNDLE is set on CI hosts)."""
    session = requests.Session()
    session.trust_env = False
    return session


class Pebble(ProcessServer):
    """Pebble process with its config, listeners and management API.

    Use as a context manager or call start()/stop().  All paths live in
    ``workdir``; ``ca_bundle`` is the TLS root that clients must trust.
    """

    def __init__(
        self,
        workdir: Path,
        tls: TlsMaterial,
        *,
        dns_server: str,
        eab_keys: Mapping[str, str] | None = None,
        eab_required: bool | None = None,
        validity_period: int | None = None,
        profiles: Mapping[str, PebbleProfile] | None = None,
        nonce_reject: int = 0,
        authz_reuse: int = 0,
        alternate_roots: int | None = None,
        chain_length: int | None = None,
        key_algorithm: str | None = None,
        extra_config: Mapping[str, Any] | None = None,
        start_timeout: float = 30.0,
    ) -> None:
        self.workdir = workdir
        self.tls = tls
        self.dns_server = dns_server
        self.eab_keys = dict(eab_keys or {})
        self.eab_required = bool(self.eab_keys) if eab_required is None else eab_required
        self.validity_period = validity_period
        self.profiles = dict(profiles) if profiles is not None else None
        self.nonce_reject = nonce_reject
        self.authz_reuse = authz_reuse
        self.alternate_roots = alternate_roots
        self.chain_length = chain_length
        self.key_algorithm = key_algorithm
        self.extra_config = dict(extra_config or {})
        self.start_timeout = start_timeout
        self.config_path = workdir / "pebble-config.json"
        self.log_path = workdir / "pebble.log"
        self.port = 0
        self.management_port = 0
        self.http_port = 0
        self.tls_port = 0
        self.startup_seconds = 0.0
        self._proc: ServerProcess | None = None

    # -- addresses -----------------------------------------------------------------
    @property
    def directory_url(self) -> str:
        """ACME directory URL (HTTPS, verify with ``ca_bundle``)."""
        return f"https://127.0.0.1:{self.port}/dir"

    @property
    def management_url(self) -> str:
        """Base URL of Pebble's management API (roots, intermediates, ARI override)."""
        return f"https://127.0.0.1:{self.management_port}"

    @property
    def ca_bundle(self) -> Path:
        """The TLS root that signed Pebble's HTTPS certificate."""
        return self.tls.root

    @property
    def pid(self) -> int:
        """PID of the running pebble process."""
        if self._proc is None:
            raise RuntimeError("pebble is not running")
        return self._proc.pid

    # -- config --------------------------------------------------------------------
    def _profiles_json(self) -> dict[str, dict[str, Any]] | None:
        profiles = self.profiles
        if profiles is None:
            if self.validity_period is None:
                return None  # Pebble's built-in single "default" profile, 90 days
            profiles = {"default": PebbleProfile("rig default profile")}
        out: dict[str, dict[str, Any]] = {}
        for name, prof in profiles.items():
            entry: dict[str, Any] = {"description": prof.description}
            validity = (
                prof.validity_period if prof.validity_period is not None else self.validity_period
            )
            if validity is not None:
                entry["validityPeriod"] = validity
            out[name] = entry
        return out

    def config(self) -> dict[str, Any]:
        """The JSON config for the current ports (written by start())."""
        cfg: dict[str, Any] = {
            "listenAddress": f"127.0.0.1:{self.port}",
            "managementListenAddress": f"127.0.0.1:{self.management_port}",
            "certificate": str(self.tls.cert),
            "privateKey": str(self.tls.key),
            # Nothing listens on these: only DNS-01 is used, and HTTP-01 /
            # TLS-ALPN-01 attempts must fail rather than hit a stranger.
            "httpPort": self.http_port,
            "tlsPort": self.tls_port,
            "ocspResponderURL": "",
            "externalAccountBindingRequired": self.eab_required,
        }
        if self.eab_keys:
            cfg["externalAccountMACKeys"] = self.eab_keys
        if self.validity_period is not None:
            cfg["certificateValidityPeriod"] = self.validity_period  # ignored by 2.10
        profiles = self._profiles_json()
        if profiles is not None:
            cfg["profiles"] = profiles
        if self.key_algorithm is not None:
            cfg["keyAlgorithm"] = self.key_algorithm
        cfg.update(self.extra_config)
        return {"pebble": cfg}

    def env(self) -> dict[str, str]:
        """Environment knobs: no VA sleeps, no authz reuse, chosen nonce rejection."""
        env = {
            "PEBBLE_VA_NOSLEEP": "1",
            "PEBBLE_AUTHZREUSE": str(self.authz_reuse),
            "PEBBLE_WFE_NONCEREJECT": str(self.nonce_reject),
        }
        if self.alternate_roots is not None:
            env["PEBBLE_ALTERNATE_ROOTS"] = str(self.alternate_roots)
        if self.chain_length is not None:
            env["PEBBLE_CHAIN_LENGTH"] = str(self.chain_length)
        return env

    # -- lifecycle -----------------------------------------------------------------
    def start(self) -> Pebble:
        """Write the config, launch pebble and wait until both listeners answer."""
        binary = find_binary("pebble")
        self.workdir.mkdir(parents=True, exist_ok=True)
        retry_on_clash(lambda: self._launch(binary))
        return self

    def _launch(self, binary: str) -> None:
        self.port, self.management_port = free_port(), free_port()
        self.http_port, self.tls_port = free_port(), free_port()
        self.config_path.write_text(json.dumps(self.config(), indent=2))
        inherited = {k for k in os.environ if k.startswith("PEBBLE_")}
        env = {**{k: "" for k in inherited}, **self.env()}
        proc = ServerProcess(
            "pebble",
            [binary, "-config", str(self.config_path), "-dnsserver", self.dns_server, "-strict"],
            log_path=self.log_path,
            env=env,
            cwd=self.workdir,
        )
        proc.start()
        self._proc = proc
        self.startup_seconds = proc.wait_ready(
            self._ready, what=f"GET {self.directory_url}", timeout=self.start_timeout
        )

    def _ready(self) -> bool:
        with _http() as http:
            directory = http.get(self.directory_url, verify=str(self.ca_bundle), timeout=2)
            roots = http.get(
                f"{self.management_url}/roots/0", verify=str(self.ca_bundle), timeout=2
            )
        return (
            directory.status_code == 200
            and "newNonce" in directory.json()
            and roots.status_code == 200
        )

    # -- API helpers ---------------------------------------------------------------
    def directory(self) -> dict[str, Any]:
        """The parsed ACME directory (includes ``renewalInfo`` and ``meta.profiles``)."""
        with _http() as http:
            resp = http.get(self.directory_url, verify=str(self.ca_bundle), timeout=10)
        resp.raise_for_status()
        result: dict[str, Any] = resp.json()
        return result

    def _management_get(self, path: str) -> requests.Response:
        with _http() as http:
            return http.get(f"{self.management_url}{path}", verify=str(self.ca_bundle), timeout=10)

    def root_pem(self, index: int = 0) -> str:
        """PEM of issuing root ``index`` (0 = default chain; more with alternate_roots)."""
        resp = self._management_get(f"/roots/{index}")
        resp.raise_for_status()
        return resp.text

    def intermediate_pem(self, index: int = 0) -> str:
        """PEM of the intermediate that issues leaves in chain ``index``."""
        resp = self._management_get(f"/intermediates/{index}")
        resp.raise_for_status()
        return resp.text

    def roots_pem(self) -> list[str]:
        """PEMs of all issuing roots (default first, then alternates)."""
        roots: list[str] = []
        while True:
            resp = self._management_get(f"/roots/{len(roots)}")
            if resp.status_code == 404:
                return roots
            resp.raise_for_status()
            roots.append(resp.text)

    def set_renewal_info(self, cert_pem: str, ari_response: str) -> None:
        """Override the ARI response for an issued certificate (any text, even invalid)."""
        with _http() as http:
            resp = http.post(
                f"{self.management_url}/set-renewal-info/",
                json={"certificate": cert_pem, "ariResponse": ari_response},
                verify=str(self.ca_bundle),
                timeout=10,
            )
        resp.raise_for_status()
