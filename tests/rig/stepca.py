"""A real Smallstep step-ca (v0.30.2) as the rig's second ACME server.

Why a second CA: Pebble is written to the letter of RFC 8555 by the people who
run Let's Encrypt; a production CA nobody here wrote behaves differently where
the RFC leaves room, and those differences are what broke renewer:

- no ARI (no ``renewalInfo`` in the directory) and no profiles;
- 24-hour certificates by default (``defaultTLSCertDuration``);
- a failed dns-01 validation leaves the challenge *pending* with an ``error``
  and validates again only when the challenge is POSTed again
  (acme/challenge.go ``dns01Validate`` stores the error with
  ``markInvalid=false``); the validation runs inside the challenge POST;
- EAB failures (unknown kid, wrong HMAC) answer 500 ``serverInternal``
  (acme/api/eab.go wraps the store's "not found" and the HMAC check as ISE).
  Open-source step-ca cannot create EAB keys ("this functionality is currently
  only available in Certificate Manager"), but it can *require* EAB: that is
  how the rig reaches those 500s.

Set up exactly as its documentation tells a new user: ``step ca init
--deployment-type standalone --acme`` into a temporary ``STEPPATH``, then
``step-ca ca.json --resolver HOST:PORT`` so that the CA's DNS-01 lookups go to
the rig's DNS server. The ACME directory is
``https://127.0.0.1:PORT/acme/acme/directory``; its TLS certificate chains to
``certs/root_ca.crt``, which is the ``ca_bundle`` clients trust.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import requests

from .ports import free_port
from .procs import ProcessServer, RigError, ServerProcess, find_binary, retry_on_clash

PROVISIONER = "acme"  # the name `step ca init --acme` gives its ACME provisioner
_PASSWORD = "renewer-rig-only"  # protects the throwaway CA keys in the temp dir


def _http() -> requests.Session:
    """A session that ignores proxy/CA env vars (REQUESTS_CA_BUNDLE is set on CI hosts)."""
    session = requests.Session()
    session.trust_env = False
    return session


class StepCa(ProcessServer):
    """A step-ca process with its own PKI in ``workdir``.

    ``resolver`` is the ``host:port`` the CA asks for TXT records.
    ``cert_duration`` sets the ACME provisioner's default (and maximum)
    certificate lifetime, e.g. ``"1h"``; None keeps step-ca's 24 h.
    ``require_eab`` turns on remote management and makes the ACME provisioner
    require external account binding.
    """

    def __init__(
        self,
        workdir: Path,
        *,
        resolver: str,
        cert_duration: str | None = None,
        require_eab: bool = False,
        start_timeout: float = 30.0,
    ) -> None:
        self.workdir = workdir
        self.resolver = resolver
        self.cert_duration = cert_duration
        self.require_eab = require_eab
        self.start_timeout = start_timeout
        self.steppath = workdir / "step"
        self.password_file = workdir / "password"
        self.config_path = self.steppath / "config" / "ca.json"
        self.log_path = workdir / "step-ca.log"
        self.port = 0
        self.startup_seconds = 0.0
        self._proc: ServerProcess | None = None

    # -- addresses -----------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def directory_url(self) -> str:
        """ACME directory URL (HTTPS, verify with ``ca_bundle``)."""
        return f"{self.base_url}/acme/{PROVISIONER}/directory"

    @property
    def ca_bundle(self) -> Path:
        """The root of the CA's own PKI: it signs both the HTTPS and the issued chains."""
        return self.steppath / "certs" / "root_ca.crt"

    @property
    def pid(self) -> int:
        if self._proc is None:
            raise RuntimeError("step-ca is not running")
        return self._proc.pid

    # -- setup ---------------------------------------------------------------------
    def _step(self, *args: str) -> str:
        """Run the ``step`` CLI against this CA's STEPPATH; RigError with its output."""
        env = {**os.environ, "STEPPATH": str(self.steppath), "HOME": str(self.workdir)}
        argv = [find_binary("step"), *args]
        proc = subprocess.run(
            argv, capture_output=True, text=True, env=env, timeout=60, check=False
        )
        if proc.returncode != 0:
            raise RigError(f"step {' '.join(args[:3])} failed ({proc.returncode}):\n{proc.stderr}")
        return proc.stdout

    def _init(self) -> None:
        """``step ca init`` once per instance (the PKI survives a port-clash retry)."""
        if self.config_path.exists():
            return
        self.password_file.write_text(_PASSWORD)
        args = [
            "ca",
            "init",
            "--deployment-type",
            "standalone",
            "--name",
            "renewer rig step-ca",
            "--dns",
            "127.0.0.1",
            "--address",
            "127.0.0.1:0",
            "--provisioner",
            "admin",
            "--password-file",
            str(self.password_file),
            "--acme",
        ]
        if self.require_eab:
            args.append("--remote-management")
        self._step(*args)

    def _write_config(self) -> None:
        config: dict[str, Any] = json.loads(self.config_path.read_text())
        config["address"] = f"127.0.0.1:{self.port}"
        if self.cert_duration is not None and not self.require_eab:
            for prov in config["authority"]["provisioners"]:
                if prov.get("type") == "ACME":
                    prov["claims"] = {
                        "defaultTLSCertDuration": self.cert_duration,
                        "maxTLSCertDuration": self.cert_duration,
                        "minTLSCertDuration": "1m",
                    }
        self.config_path.write_text(json.dumps(config, indent=2))

    # -- lifecycle -----------------------------------------------------------------
    def start(self) -> StepCa:
        """Make the PKI, launch step-ca and wait until its directory answers."""
        binary = find_binary("step-ca")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._init()
        retry_on_clash(lambda: self._launch(binary))
        if self.require_eab:
            self._admin("ca", "provisioner", "update", PROVISIONER, "--require-eab")
        return self

    def _launch(self, binary: str) -> None:
        self.port = free_port()
        self._write_config()
        proc = ServerProcess(
            "step-ca",
            [
                binary,
                str(self.config_path),
                "--password-file",
                str(self.password_file),
                "--resolver",
                self.resolver,
            ],
            log_path=self.log_path,
            env={"STEPPATH": str(self.steppath), "HOME": str(self.workdir)},
            cwd=self.workdir,
        )
        proc.start()
        self._proc = proc
        self.startup_seconds = proc.wait_ready(
            self._ready, what=f"GET {self.directory_url}", timeout=self.start_timeout
        )

    def _ready(self) -> bool:
        with _http() as http:
            resp = http.get(self.directory_url, verify=str(self.ca_bundle), timeout=2)
        return resp.status_code == 200 and "newNonce" in resp.json()

    def _admin(self, *args: str) -> str:
        """A remote-management command as the super admin ``step ca init`` made."""
        return self._step(
            *args,
            "--ca-url",
            self.base_url,
            "--root",
            str(self.ca_bundle),
            "--admin-subject",
            "step",
            "--admin-provisioner",
            "admin",
            "--admin-password-file",
            str(self.password_file),
        )

    # -- API helpers ---------------------------------------------------------------
    def directory(self) -> dict[str, Any]:
        """The parsed ACME directory (no ``renewalInfo``: step-ca has no ARI)."""
        with _http() as http:
            resp = http.get(self.directory_url, verify=str(self.ca_bundle), timeout=10)
        resp.raise_for_status()
        result: dict[str, Any] = resp.json()
        return result

    def roots_pem(self) -> list[str]:
        """The CA's root, the top of every chain it issues."""
        return [self.ca_bundle.read_text()]

    def log_text(self) -> str:
        """The server's output so far (tests read what the CA did)."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
