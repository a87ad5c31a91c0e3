"""The README's demo works as documented; preferred chains are honoured."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID
from rig import Challtestsrv

from tests.integration.runner import REPO, run_cli
from tests.integration.test_renew_e2e import challtestsrv_dns, config

pytestmark = pytest.mark.integration


def test_demo_issues_everything_then_plans_only_skip() -> None:
    proc = subprocess.run(
        [sys.executable, "scripts/demo.py"], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Done: 3 succeeded, 0 failed" in proc.stdout
    assert "Plan: 0 to issue, 0 to renew, 3 unchanged." in proc.stdout
    for name in ("demo-example-test", "www-contoso-test", "api-fabrikam-test"):
        assert (REPO / ".local" / "demo" / "certs" / name / "fullchain.pem").is_file()


def _common_name(cert: x509.Certificate, issuer: bool = True) -> str:
    name = cert.issuer if issuer else cert.subject
    return str(name.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)


def test_preferred_chain_by_root_name(
    tmp_path: Path, challtestsrv: Challtestsrv, pebble_factory: Any
) -> None:
    pebble = pebble_factory(dns_server=challtestsrv.dns_address, alternate_roots=1)
    roots = [x509.load_pem_x509_certificate(p.encode()) for p in pebble.roots_pem()]
    assert len(roots) == 2
    wanted = _common_name(roots[1], issuer=False)
    cfg = config(
        tmp_path,
        pebble,
        challtestsrv_dns(challtestsrv),
        [
            {"name": "alt", "domains": ["alt.test"], "acme": {"preferred_chain": wanted}},
            {"name": "default", "domains": ["default.test"]},
        ],
    )
    result = run_cli("renew", "-c", str(cfg))
    assert result.code == 0, result.output
    assert "2 succeeded" in result.stdout, result.output

    def top(name: str) -> str:
        pem = (tmp_path / "certs" / name / "fullchain.pem").read_bytes()
        return _common_name(x509.load_pem_x509_certificates(pem)[-1])

    assert top("alt") == wanted
    assert top("default") != wanted  # the alternate really differs from the default
