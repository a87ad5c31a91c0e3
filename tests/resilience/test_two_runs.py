"""Scenario 5: two renewer processes on one inventory and one directory store.

The per-certificate lock (flock) and the re-check after taking it mean every
certificate is issued exactly once, whichever process gets there first.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rig import Challtestsrv

from tests.integration.runner import REPO
from tests.resilience.common import certs, challtestsrv_dns, make_config, versions

pytestmark = [pytest.mark.resilience, pytest.mark.integration]

TRIALS = 5
COUNT = 6


def test_two_concurrent_runs_issue_each_certificate_once(
    tmp_path: Path, challtestsrv: Challtestsrv, pebble_factory: Any
) -> None:
    pebble = pebble_factory(dns_server=challtestsrv.dns_address)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("GITHUB_ACTIONS", None)
    contended = 0
    for trial in range(TRIALS):
        folder = tmp_path / f"trial{trial}"
        folder.mkdir()
        cfg = make_config(
            folder,
            pebble.directory_url,
            pebble.ca_bundle,
            challtestsrv_dns(challtestsrv),
            certs(COUNT, prefix=f"t{trial}c"),
        )
        argv = [sys.executable, "-m", "renewer", "renew", "-c", str(cfg), "--concurrency", "3"]
        procs = [
            subprocess.Popen(argv, cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        outputs = [p.communicate(timeout=120)[0] for p in procs]
        assert all(p.returncode in (0, 1) for p in procs), outputs
        for i in range(COUNT):
            assert len(versions(folder / "certs", f"t{trial}c{i}")) == 1, outputs
        assert "FAILED" not in "".join(outputs), outputs
        contended += "".join(outputs).count("another run")
    # The runs really overlapped: some certificates were met by both processes.
    print(f"trials={TRIALS} certificates={TRIALS * COUNT} contended={contended}")
    assert contended > 0
