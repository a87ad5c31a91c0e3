"""renewer starts and renews where ``fcntl`` does not exist (Windows).

The action installs on Windows runners, so no module of renewer may import
``fcntl`` unguarded, and its two file locks (the TXT journal's run lock and
the directory store's certificate lock) must work through ``msvcrt``. In a
subprocess, ``fcntl`` is taken away (``sys.modules['fcntl'] = None``: every
``import fcntl`` raises ImportError) and the stand-in ``msvcrt`` of
tests/rig/msvcrt_standin.py is put in its place; then every module of renewer
is imported and a real renewal runs against Pebble and challtestsrv.
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
from tests.resilience.common import assert_complete, certs, challtestsrv_dns, make_config

pytestmark = [pytest.mark.integration]

TESTS = REPO / "tests"

PRELUDE = """
import importlib, pkgutil, runpy, sys
sys.path.insert(0, {tests!r})
from rig.msvcrt_standin import install
install({log!r})
try:
    import fcntl
except ImportError:
    pass
else:
    raise SystemExit("fcntl is still importable")
import renewer
imported = 0
for info in pkgutil.walk_packages(renewer.__path__, "renewer."):
    if not info.name.endswith("__main__"):
        importlib.import_module(info.name)
        imported += 1
from renewer.core import locking
print(f"imported {{imported}} modules; locking by {{locking.mechanism()}}", file=sys.stderr)
"""

RENEW = """
sys.argv = ["renewer", *sys.argv[1:]]
runpy.run_module("renewer", run_name="__main__", alter_sys=True)
"""

HOLD_TWICE = """
from pathlib import Path
from renewer.stores.contract import LockBusy
from renewer.stores.lockfile import hold
lock = Path(sys.argv[1])
with hold(lock, "c0"):
    try:
        with hold(lock, "c0"):
            raise SystemExit("taken twice")
    except LockBusy as busy:
        print(f"busy: {busy}")
with hold(lock, "c0"):
    print("taken again after release")
"""


def _python(code: str, log: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("GITHUB_ACTIONS", None)
    script = PRELUDE.format(tests=str(TESTS), log=str(log)) + code
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=240,
    )


def test_every_module_imports_and_a_renewal_runs_without_fcntl(
    tmp_path: Path, challtestsrv: Challtestsrv, pebble_factory: Any
) -> None:
    pebble = pebble_factory(dns_server=challtestsrv.dns_address)
    cfg = make_config(
        tmp_path, pebble.directory_url, pebble.ca_bundle, challtestsrv_dns(challtestsrv), certs(2)
    )
    log = tmp_path / "msvcrt.log"
    result = _python(RENEW, log, "renew", "-c", str(cfg))
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "locking by msvcrt" in result.stderr
    assert int(result.stderr.split("imported ")[1].split()[0]) > 100
    assert "2 succeeded, 0 failed" in result.stdout
    for name in ("c0", "c1"):
        assert_complete(tmp_path / "certs", name)
    calls = log.read_text().splitlines()
    locks = [c for c in calls if "mode=2" in c]  # LK_NBLCK: the journal's and both stores'
    unlocks = [c for c in calls if "mode=0" in c]
    assert len(locks) >= 3 and len(unlocks) >= 2, calls
    assert all("at=1073741824 n=1" in c for c in calls)  # one byte past any record

    again = _python(RENEW, log, "renew", "-c", str(cfg))
    assert again.returncode == 0 and "2 unchanged" in again.stdout, again.stdout + again.stderr


def test_the_certificate_lock_excludes_a_second_holder_without_fcntl(tmp_path: Path) -> None:
    result = _python(HOLD_TWICE, tmp_path / "msvcrt.log", str(tmp_path / ".lock"))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("busy: c0 is being renewed by another run (held by pid ")
    assert lines[1] == "taken again after release"
