"""Scenario 6: expiry pressure.

While the CA stays unreachable, a failed renewal is reported louder the nearer
its certificate is to expiry (renewer/report/escalation.py): a warning annotation with
plenty of life left, a warning flagged "at risk" in the summary inside the last
third and under 14 days, an error when critical (emergency window or under 3
days) and an error "EXPIRED" past not_after. And a certificate inside its
emergency window is renewed even when the CA's ARI window says 2099.

The four aged certificates are real directory-store versions written through the
store's own ``issue`` with a local CA whose dates are chosen (Pebble cannot
backdate); the emergency case uses Pebble certificates with a 10 s lifetime.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from rig import Challtestsrv, TlsMaterial, free_port

from renewer.config.loader import load_config
from renewer.config.types.store_directory import DirectorySettings
from renewer.core.certs import IssuedChain, split_chain
from renewer.plan.policy import emergency_window
from renewer.stores.directory import DirectoryStore
from tests.integration.runner import REPO, CliResult, run_cli
from tests.resilience.common import challtestsrv_dns, make_config, versions
from tests.unit.local_ca import LocalCA

pytestmark = [pytest.mark.resilience, pytest.mark.integration]

DAY, HOUR = timedelta(days=1), timedelta(hours=1)


def run_in_actions(*args: str, summary: Path, prelude: str = "") -> CliResult:
    """``python -m renewer`` as a GitHub Actions step runs it (GITHUB_ACTIONS=true).

    ``prelude`` runs after ``renewer.cli`` and the stacks a renew uses are
    imported (commands import them lazily, so a bare ``renewer.cli`` would leave
    a few hundred ms of imports after the prelude) and before ``main()``: the
    emergency test uses it to start planning at an exact moment.
    """
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.update(GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary))
    code = (
        "import sys, time\nimport renewer.cli, renewer.cli.certificates, renewer.config.loader\n"
        "import renewer.dns.providers.challtestsrv, renewer.stores.directory\n"
        f"{prelude}\n"
        "sys.argv = ['renewer', *sys.argv[1:]]\nrenewer.cli.main()\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=REPO,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def dated_finalize(ca: LocalCA, not_before: datetime, not_after: datetime) -> Any:
    def finalize(csr_pem: bytes) -> IssuedChain:
        csr = x509.load_pem_x509_csr(csr_pem)
        san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        leaf = (
            x509.CertificateBuilder()
            .subject_name(csr.subject)
            .issuer_name(ca.cert.subject)
            .public_key(csr.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(san, critical=False)
            .sign(ca.key, hashes.SHA256())
        )
        pem = serialization.Encoding.PEM
        return split_chain((leaf.public_bytes(pem) + ca.cert.public_bytes(pem)).decode())

    return finalize


def annotations(stdout: str) -> dict[str, tuple[str, str]]:
    """certificate -> (level, message) from ``::level title=renewer::name: message``."""
    found: dict[str, tuple[str, str]] = {}
    for line in stdout.splitlines():
        if line.startswith("::") and "title=renewer::" in line:
            level = line[2:].split(" ", 1)[0]
            name, _, message = line.split("title=renewer::", 1)[1].partition(": ")
            found[name] = (level, message)
    return found


def test_failed_renewals_escalate_as_expiry_nears(
    tmp_path: Path, challtestsrv: Challtestsrv, tls_root: TlsMaterial
) -> None:
    dead_ca = f"https://127.0.0.1:{free_port()}/dir"  # nothing listens: the CA is down
    names = ["fresh", "risky", "urgent", "gone"]
    certs = [{"name": n, "domains": [f"{n}.example.test"]} for n in names]
    certs[0]["domains"].append("www.fresh.example.test")  # a domain added: due at once
    cfg = make_config(tmp_path, dead_ca, tls_root.root, challtestsrv_dns(challtestsrv), certs)
    specs = {s.name: s for s in load_config(cfg).certificates}
    store, ca, now = (
        DirectoryStore(DirectorySettings(tmp_path / "certs")),
        LocalCA(),
        datetime.now(UTC),
    )
    ages = {  # (issued, expires) of the current version
        "fresh": (now - 10 * DAY, now + 80 * DAY + HOUR),  # 80 of 90 days left: warning
        "risky": (now - 80 * DAY, now + 10 * DAY + HOUR),  # last third, < 14 days: at risk
        "urgent": (now - 88 * DAY, now + 2 * DAY + HOUR),  # emergency window (4.5 days)
        "gone": (now - 93 * DAY, now - 3 * DAY),  # expired 3 days ago
    }
    for name, (issued, expires) in ages.items():
        spec = specs[name]
        if name == "fresh":
            spec = replace(spec, domains=spec.domains[:1])  # issued before the domain was added
        store.issue(spec, dated_finalize(ca, issued, expires))

    summary = tmp_path / "step-summary.md"
    started = time.monotonic()
    result = run_in_actions(
        "renew",
        "-c",
        str(cfg),
        "--cert-deadline",
        "3",
        "--report",
        str(tmp_path / "r.json"),
        "--summary",
        str(tmp_path / "s.md"),
        summary=summary,
    )
    elapsed = time.monotonic() - started
    assert result.code == 1, result.output[-3000:]
    assert "0 succeeded, 4 failed" in result.stdout
    found = annotations(result.stdout)
    assert {n: level for n, (level, _) in found.items()} == {
        "fresh": "warning",
        "risky": "warning",
        "urgent": "error",
        "gone": "error",
    }, result.stdout
    assert f"CA directory {dead_ca} unreachable" in found["fresh"][1]
    assert "[expires in 80 days" in found["fresh"][1]  # a plain warning, no flag
    assert "[at risk: expires in 10 days" in found["risky"][1]
    assert "[critical: expires in 2 days" in found["urgent"][1]
    assert "[EXPIRED 3 days ago" in found["gone"][1]

    report = {c["name"]: c for c in json.loads((tmp_path / "r.json").read_text())["certificates"]}
    assert {n: report[n]["severity"] for n in names} == {
        "fresh": "warning",
        "risky": "at-risk",
        "urgent": "critical",
        "gone": "expired",
    }
    markdown = (tmp_path / "s.md").read_text()
    assert summary.read_text() == markdown  # the job summary got the same Markdown
    assert "**At risk or worse:** `risky` (at risk), `urgent` (critical), `gone` (EXPIRED)" in (
        markdown
    )
    rows = {r.split("|")[1].strip(" `"): r for r in markdown.splitlines() if r.startswith("| `")}
    assert "❌ **at risk: expires in 10 days" in rows["risky"]
    assert "❌ **critical: expires in 2 days" in rows["urgent"]
    assert "❌ **EXPIRED 3 days ago" in rows["gone"]
    assert "**" not in rows["fresh"] and "(expires in 80 days" in rows["fresh"]
    for name in names:
        assert len(versions(tmp_path / "certs", name)) == 1  # nothing was replaced
    assert elapsed < 30


def test_emergency_window_beats_an_ari_window_in_2099(
    tmp_path: Path, challtestsrv: Challtestsrv, pebble_factory: Any
) -> None:
    pebble = pebble_factory(dns_server=challtestsrv.dns_address, validity_period=10)
    cfg = make_config(
        tmp_path,
        pebble.directory_url,
        pebble.ca_bundle,
        challtestsrv_dns(challtestsrv),
        [{"name": "short", "domains": ["short.example.test"]}],
    )
    first = run_cli("renew", "-c", str(cfg))
    assert first.code == 0, first.output[-3000:]
    current = tmp_path / "certs" / "short" / "current"
    meta = json.loads((current / "metadata.json").read_text())
    not_before = datetime.fromisoformat(meta["not_before"])
    not_after = datetime.fromisoformat(meta["not_after"])
    window = emergency_window(not_after - not_before)
    pebble.set_renewal_info(
        (current / "cert.pem").read_text(),
        json.dumps(
            {"suggestedWindow": {"start": "2099-01-01T00:00:00Z", "end": "2099-01-02T00:00:00Z"}}
        ),
    )
    # The window asked at issuance is remembered for 6 h: ask the CA again to see 2099.
    ahead = run_cli("plan", "-c", str(cfg), "--format", "json", "--refresh-renewal-info")
    (entry,) = json.loads(ahead.stdout)["certificates"]
    assert entry["action"] == "skip" and entry["reason"].startswith("ARI window 2099-01-01")

    # Plan a little after the window opens (the process imports first, then waits).
    moment = (not_after - window * 0.8).timestamp()
    summary = tmp_path / "step-summary.md"
    result = run_in_actions(
        "renew",
        "--refresh-renewal-info",
        "-c",
        str(cfg),
        "--report",
        str(tmp_path / "r.json"),
        summary=summary,
        prelude=f"time.sleep(max(0.0, {moment} - time.time()))",
    )
    assert result.code == 0, result.output[-3000:]
    (renewed,) = json.loads((tmp_path / "r.json").read_text())["certificates"]
    assert renewed["action"] == "renew" and renewed["result"] == "succeeded"
    assert renewed["reason"].startswith("emergency: expires in"), renewed["reason"]
    assert len(versions(tmp_path / "certs", "short")) == 2
    assert "::" not in result.stdout  # a success is not annotated
