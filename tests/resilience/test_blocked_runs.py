"""Due means due, end to end: ``renew --force`` on a certificate whose lock another holder has.

The holder is either a live renewer-like process (it took the lock through
renewer's own lock code and sleeps) or a foreign program that flocked the
file without saying who it is. The CA is down (closed port): a blocked
certificate never reaches it anyway.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from rig import free_port

from renewer.config.loader import load_config
from renewer.config.types.store_directory import DirectorySettings
from renewer.stores.directory import DirectoryStore
from tests.integration.runner import REPO, run_cli
from tests.resilience.common import make_config
from tests.unit.local_ca import LocalCA

pytestmark = [pytest.mark.resilience, pytest.mark.integration]

DAY = timedelta(days=1)
HOLDER = """
import sys, time
from pathlib import Path
from renewer.stores.lockfile import hold
with hold(Path(sys.argv[1]), "c0"):
    print("held", flush=True)
    time.sleep(60)
"""


def setup_store(tmp_path: Path, left: timedelta) -> Path:
    bundle = tmp_path / "ca.pem"
    bundle.write_bytes(LocalCA().cert.public_bytes(serialization.Encoding.PEM))
    port = free_port()
    dns = {"type": "challtestsrv", "url": f"http://127.0.0.1:{port}"}
    certs = [{"name": "c0", "domains": ["c0.example.test"]}]
    cfg = make_config(tmp_path, f"https://127.0.0.1:{port}/dir", bundle, dns, certs)
    (spec,) = load_config(cfg).certificates
    issued = datetime.now(UTC) + left - 90 * DAY
    store = DirectoryStore(DirectorySettings(tmp_path / "certs"))
    store.issue(replace(spec), lambda csr: LocalCA().finalize(csr, issued_at=issued))
    return cfg


@pytest.fixture
def live_holder(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    lock = tmp_path / "certs" / "c0" / ".lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(lock)],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    yield proc
    proc.kill()
    proc.wait()


def renew(cfg: Path, tmp_path: Path) -> tuple[int, str, dict[str, object]]:
    report = tmp_path / "report.json"
    started = time.monotonic()
    result = run_cli("renew", "-c", str(cfg), "--force", "--report", str(report))
    assert time.monotonic() - started < 30, result.output
    body = json.loads(report.read_text())
    (row,) = body["certificates"]
    assert "unchanged" not in result.stdout.splitlines()[0]
    return result.code, result.stdout, row


def test_a_live_holder_blocks_without_failing_the_run(
    tmp_path: Path, live_holder: subprocess.Popen[str]
) -> None:
    cfg = setup_store(tmp_path, 60 * DAY)
    code, stdout, row = renew(cfg, tmp_path)
    assert code == 0, stdout
    assert stdout.startswith(
        f"blocked c0: c0 is being renewed by another run (held by pid {live_holder.pid}"
    )
    assert "0 planned, 1 blocked." in stdout
    assert row["result"] == "blocked" and row["severity"] == "warning"
    holder = row["holder"]
    assert isinstance(holder, dict) and holder["pid"] == live_holder.pid and holder["live"] is True


def test_a_live_holder_near_expiry_fails_the_run(
    tmp_path: Path, live_holder: subprocess.Popen[str]
) -> None:
    cfg = setup_store(tmp_path, 2 * DAY)
    code, stdout, row = renew(cfg, tmp_path)
    assert code == 1, stdout
    assert row["result"] == "blocked" and row["severity"] == "critical"


def test_a_foreign_holder_fails_the_run(tmp_path: Path) -> None:
    cfg = setup_store(tmp_path, 60 * DAY)
    fd = os.open(tmp_path / "certs" / "c0" / ".lock", os.O_RDONLY | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        code, stdout, row = renew(cfg, tmp_path)
    finally:
        os.close(fd)
    assert code == 1, stdout
    assert "held by a process that did not record itself (not a renewer run)" in stdout
    assert str(row["severity_words"]).endswith("; the lock holder is not a live run")
    assert isinstance(row["holder"], dict) and row["holder"]["live"] is False
    again = run_cli("renew", "-c", str(cfg))  # lock free again: not due, plain skip
    assert again.code == 0 and "blocked" not in again.stdout
