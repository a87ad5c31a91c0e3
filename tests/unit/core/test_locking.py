"""renewer/core/locking.py: one exclusive lock per file, refused to a second holder.

The Windows branch runs in tests/integration/test_without_fcntl.py (with
``fcntl`` taken away); here the ``flock`` branch this platform uses.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from renewer.core import locking


def test_a_second_open_file_is_refused_until_the_first_releases(tmp_path: Path) -> None:
    assert locking.mechanism() == "flock"
    path = tmp_path / "run.lock"
    first = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    second = os.open(path, os.O_RDWR)
    try:
        assert locking.try_lock(first)
        assert not locking.try_lock(second)  # even in this process: the lock is the file's
        locking.unlock(first)
        assert locking.try_lock(second)
        locking.unlock(second)
        locking.lock(first)  # uncontended: returns at once
        locking.unlock(first)
    finally:
        os.close(first)
        os.close(second)


def test_the_os_drops_the_lock_of_a_process_that_died(tmp_path: Path) -> None:
    path = tmp_path / "run.lock"
    code = (
        "import os, sys\n"
        "from renewer.core import locking\n"
        "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)\n"
        "assert locking.try_lock(fd)\n"
        "os._exit(9)\n"  # no release, no close: killed
    )
    done = subprocess.run([sys.executable, "-c", code, str(path)], check=False)
    assert done.returncode == 9
    fd = os.open(path, os.O_RDWR)
    try:
        assert locking.try_lock(fd)
        locking.unlock(fd)
    finally:
        os.close(fd)
