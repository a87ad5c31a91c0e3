"""Scenario: a CA that accepts connections and never answers (issue 12, item 3).

tests/rig/hung.py accepts every TCP connection on 127.0.0.1, completes the TLS
handshake and then sends nothing. Before the fix each request waited the full
30 s read timeout, one certificate after the other behind the account lock,
and nothing was remembered: 4 certificates with ``--cert-deadline 5`` took
120 s and a ``plan`` of 3 stored certificates 90 s.

Now the first unanswered request (bounded by the certificate's deadline)
marks the CA down for the run: every other certificate of that CA fails at
once with the same line, and planning's renewal-info lookups fall back to
the lifetime rule.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rig import TlsMaterial
from rig.hung import HungCA

from renewer.config.loader import load_config
from renewer.config.types.store_directory import DirectorySettings
from renewer.stores.directory import DirectoryStore
from tests.integration.runner import run_cli, write_config
from tests.unit.local_ca import LocalCA

pytestmark = [pytest.mark.resilience, pytest.mark.integration]


@pytest.fixture
def hung_ca(tls_root: TlsMaterial) -> Iterator[HungCA]:
    with HungCA(tls=tls_root) as server:
        yield server


def config(tmp_path: Path, hung: HungCA, ca_bundle: Path, count: int) -> Path:
    body: dict[str, Any] = {
        "acme": {"directory": hung.directory_url, "ca_bundle": str(ca_bundle)},
        "store": {"type": "directory", "path": str(tmp_path / "certs")},
        # never reached: the CA fails first (port 9, discard, is closed on the rig)
        "dns": {"type": "challtestsrv", "url": "http://127.0.0.1:9"},
        "certificates": [
            {"name": f"h{i}", "domains": [f"h{i}.example.test"]} for i in range(count)
        ],
    }
    return write_config(tmp_path / "certificates.yaml", body)


@pytest.mark.parametrize("concurrency", ["1", "10"])
def test_four_certificates_against_a_hung_ca_fail_in_seconds_with_one_line(
    tmp_path: Path, hung_ca: HungCA, tls_root: TlsMaterial, concurrency: str
) -> None:
    cfg = config(tmp_path, hung_ca, tls_root.root, 4)
    report = tmp_path / "r.json"
    started = time.monotonic()
    result = run_cli(
        "renew",
        "-c",
        str(cfg),
        "--cert-deadline",
        "5",
        "--concurrency",
        concurrency,
        "--report",
        str(report),
    )
    elapsed = time.monotonic() - started
    assert result.code == 1, result.output[-3000:]
    assert "0 succeeded, 4 failed" in result.stdout
    assert elapsed < 20, elapsed  # was 4 x 30 s
    errors = {entry["error"] for entry in json.loads(report.read_text())["certificates"]}
    assert len(errors) == 1, errors  # the same line for every certificate
    (line,) = errors
    assert line.startswith(f"CA {hung_ca.directory_url} not answering"), line
    assert "not asked again in this run" in line
    failed = [row for row in result.stdout.splitlines() if row.startswith("FAILED")]
    assert len(failed) == 4 and all(line in row for row in failed), result.stdout
    assert hung_ca.connections == 1  # the CA was asked once, then left alone
    assert "Traceback" not in result.output


def test_plan_against_a_hung_ca_falls_back_to_the_lifetime_rule_in_seconds(
    tmp_path: Path, hung_ca: HungCA, tls_root: TlsMaterial
) -> None:
    cfg = config(tmp_path, hung_ca, tls_root.root, 3)
    store, ca = DirectoryStore(DirectorySettings(tmp_path / "certs")), LocalCA()
    for spec in load_config(cfg).certificates:
        issued = store.issue(spec, ca.finalize)  # 90 days left: not due by lifetime
        assert issued.ari_cert_id  # so planning asks the CA's renewal info
    started = time.monotonic()
    result = run_cli("plan", "-c", str(cfg), "--format", "json")
    elapsed = time.monotonic() - started
    assert result.code == 0, result.output[-3000:]
    assert elapsed < 20, elapsed  # was 3 x 30 s
    plan = json.loads(result.stdout)
    assert {c["name"]: c["action"] for c in plan["certificates"]} == {
        "h0": "skip",
        "h1": "skip",
        "h2": "skip",
    }
    warned = [row for row in result.stderr.splitlines() if "using the lifetime rule" in row]
    assert len(warned) == 3, result.stderr
    assert all(f"CA {hung_ca.directory_url} not answering" in row for row in warned), warned
    assert hung_ca.connections == 1


def test_a_ca_found_down_while_planning_fails_the_forced_renewals_at_once(
    tmp_path: Path, hung_ca: HungCA, tls_root: TlsMaterial
) -> None:
    cfg = config(tmp_path, hung_ca, tls_root.root, 3)
    store, ca = DirectoryStore(DirectorySettings(tmp_path / "certs")), LocalCA()
    for spec in load_config(cfg).certificates:
        store.issue(spec, ca.finalize)
    report = tmp_path / "r.json"
    started = time.monotonic()
    result = run_cli("renew", "-c", str(cfg), "--force", "--report", str(report))
    elapsed = time.monotonic() - started
    assert result.code == 1, result.output[-3000:]
    assert "0 succeeded, 3 failed" in result.stdout
    assert elapsed < 20, elapsed  # the plan's 10 s renewal-info bound, then nothing
    errors = {entry["error"] for entry in json.loads(report.read_text())["certificates"]}
    assert len(errors) == 1 and next(iter(errors)).startswith(f"CA {hung_ca.directory_url}")
    assert hung_ca.connections == 1  # execution did not ask the CA found down by planning
    for spec in load_config(cfg).certificates:
        assert len(list((tmp_path / "certs" / spec.name / "versions").iterdir())) == 1


def test_ctrl_c_during_a_hung_request_stops_the_run_at_once(
    tmp_path: Path, hung_ca: HungCA, tls_root: TlsMaterial
) -> None:
    import os
    import signal
    import subprocess
    import sys

    from tests.integration.runner import REPO

    cfg = config(tmp_path, hung_ca, tls_root.root, 3)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("GITHUB_ACTIONS", None)
    args = ["renew", "-c", str(cfg), "--cert-deadline", "120"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "renewer", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )
    try:
        waited = time.monotonic() + 20
        while hung_ca.connections == 0:  # the directory request is in flight, unanswered
            assert time.monotonic() < waited and proc.poll() is None, "never asked the CA"
            time.sleep(0.05)
        time.sleep(0.5)
        interrupted = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        stopped = time.monotonic() - interrupted
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1, out + err
    assert stopped < 5, stopped  # not the 30 s read timeout, nor the 120 s deadline
    assert out.count("cancelled") == 3, out
    assert "Traceback" not in out + err


# -- the transport on its own: timeouts, the down list, the deadline -------------------
def _get(url: str) -> Any:
    from renewer.acme.session import CaSession

    session = CaSession(url, None)
    return lambda timeouts: session.request("GET", url, timeouts)


def test_a_refused_ca_is_tried_three_times_then_down_with_one_line() -> None:
    from rig import free_port

    from renewer.acme.failures import CaDown
    from renewer.acme.transport import CaHealth, send
    from renewer.core.retry import Deadline

    url = f"http://127.0.0.1:{free_port()}/dir"  # nothing listens
    health = CaHealth()
    started = time.monotonic()
    with pytest.raises(CaDown) as first:
        send(health, url, Deadline.after(30), None, _get(url))
    assert 1.4 < time.monotonic() - started < 5  # 0.5 s + 1 s between the three tries
    assert str(first.value).startswith(f"CA directory {url} unreachable")
    assert not first.value.transient and health.down(url)
    started = time.monotonic()
    with pytest.raises(CaDown) as again:
        send(health, url, Deadline.after(30), None, _get(url))
    assert time.monotonic() - started < 0.1 and str(again.value) == str(first.value)


def test_a_hung_ca_costs_one_deadline_then_nothing() -> None:
    from renewer.acme.failures import AcmeFailure, CaDown
    from renewer.acme.transport import CaHealth, send
    from renewer.core.retry import Deadline

    with HungCA() as hung:  # plain HTTP: the request is sent, no answer comes
        url = f"http://127.0.0.1:{hung.port}/dir"
        health = CaHealth()
        with pytest.raises(AcmeFailure) as short:  # under a second left: our deadline, not the CA
            send(health, url, Deadline.after(0.5), None, _get(url))
        assert not isinstance(short.value, CaDown) and not health.down(url)
        with pytest.raises(AcmeFailure, match="deadline passed"):
            send(health, url, Deadline.after(-1), None, _get(url))
        started = time.monotonic()
        with pytest.raises(CaDown) as down:
            send(health, url, Deadline.after(2.5), None, _get(url))
        assert 2.3 < time.monotonic() - started < 4  # the read timeout is the deadline's
        assert str(down.value) == (
            f"CA {url} not answering (request: no answer in 2s); not asked again in this run"
        )
        asked = hung.connections
        with pytest.raises(CaDown):
            send(health, url, Deadline.after(30), None, _get(url))
        assert hung.connections == asked  # not asked again
