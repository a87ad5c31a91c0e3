"""An exclusive lock on an open file that the OS drops when its holder dies, on every platform.

The TXT journal (a run's own lock file) and the directory store's lock (one
per certificate) need the same three things: take without waiting, take
waiting, release; and both rely on the OS releasing the lock of a killed
process. That is ``flock`` on Linux and macOS and ``msvcrt.locking`` on
Windows, where ``fcntl`` does not exist: importing it at module top kept
renewer from starting there at all.

The mechanism is chosen by what the interpreter has (``fcntl``, else
``msvcrt``), not by the platform's name, so a test can take ``fcntl`` away
and run the Windows path. On Windows the lock is one byte at
:data:`REGION` rather than the whole file: such locks are mandatory (another
process cannot read a locked byte), and the directory store's lock file holds
a record of who holds it that a blocked run reads, well below that offset.
"""

from __future__ import annotations

import importlib
import os
import time
from types import ModuleType

from renewer.core.errors import RenewerError

REGION = 1 << 30  # the Windows lock byte: past any record (records stay under 64 KiB)
WAIT_LOOK = 0.05  # how often a waiting take tries again on Windows


def _module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


_fcntl = _module("fcntl")
_msvcrt = None if _fcntl is not None else _module("msvcrt")


class LockUnavailable(RenewerError, OSError):
    """Neither ``fcntl`` nor ``msvcrt``: this interpreter cannot lock files."""


def try_lock(fd: int) -> bool:
    """Take the exclusive lock on ``fd`` if nobody holds it; False when another does."""
    if _fcntl is not None:
        try:
            _fcntl.flock(fd, _fcntl.LOCK_EX | _fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True
    windows = _windows()
    os.lseek(fd, REGION, os.SEEK_SET)
    try:
        windows.locking(fd, windows.LK_NBLCK, 1)
    except OSError:  # documented: raised when the region is locked already
        return False
    return True


def lock(fd: int) -> None:
    """Take the exclusive lock on ``fd``, waiting for as long as another holder keeps it."""
    if _fcntl is not None:
        _fcntl.flock(fd, _fcntl.LOCK_EX)
        return
    # msvcrt's waiting mode gives up after 10 s; the callers wait for as long as it takes.
    while not try_lock(fd):
        time.sleep(WAIT_LOOK)


def unlock(fd: int) -> None:
    """Release the lock this process took on ``fd``."""
    if _fcntl is not None:
        _fcntl.flock(fd, _fcntl.LOCK_UN)
        return
    windows = _windows()
    os.lseek(fd, REGION, os.SEEK_SET)
    windows.locking(fd, windows.LK_UNLCK, 1)


def mechanism() -> str:
    """``flock``, ``msvcrt`` or ``none``: which one this process uses (for messages, tests)."""
    return "flock" if _fcntl is not None else "msvcrt" if _msvcrt is not None else "none"


def _windows() -> ModuleType:
    if _msvcrt is None:
        raise LockUnavailable("this Python has neither fcntl nor msvcrt: files cannot be locked")
    return _msvcrt
