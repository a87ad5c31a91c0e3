"""A stand-in for Windows' ``msvcrt`` (its file locking), to run renewer's Windows path here.

No Windows machine is part of the rig, so renewer.core.locking's ``msvcrt``
branch runs on Linux against this module, with ``fcntl`` taken away as
Windows has none. It models ``msvcrt.locking`` as documented
(https://docs.python.org/3/library/msvcrt.html#msvcrt.locking, and Windows'
``_locking``/``LockFile``/``UnlockFile``):

- ``locking(fd, mode, nbytes)`` acts on ``nbytes`` from the file's current
  position;
- ``LK_NBLCK`` / ``LK_NBRLCK`` raise ``OSError`` when the region is locked;
  ``LK_LOCK`` / ``LK_RLCK`` try 10 times, a second apart, then raise it;
- a lock belongs to the handle: another handle on the same file is refused,
  even in the same process;
- ``LK_UNLCK`` on a region that handle did not lock raises ``OSError``.

It is built on ``flock``, whose locks also belong to one open file (not the
process). renewer locks a single region per file, so the whole file stands
for that region here; Windows' mandatory locking (reads of a locked byte
fail) is not modelled, which is why renewer keeps its lock byte far past any
content it reads. Every call is appended to a log file for the test to read.
"""

from __future__ import annotations

import errno
import os
import sys
import time
import types

LK_UNLCK, LK_LOCK, LK_NBLCK, LK_RLCK, LK_NBRLCK = 0, 1, 2, 3, 4  # <sys/locking.h>


def install(log_path: str) -> types.ModuleType:
    """Take ``fcntl`` away (``import fcntl`` raises ImportError) and install ``msvcrt``."""
    import fcntl

    held: dict[int, tuple[int, int]] = {}  # fd -> (position, nbytes) it locked

    def note(line: str) -> None:
        with open(log_path, "a") as log:
            log.write(line + "\n")

    def locking(fd: int, mode: int, nbytes: int) -> None:
        position = os.lseek(fd, 0, os.SEEK_CUR)
        note(f"{os.getpid()} locking mode={mode} at={position} n={nbytes}")
        if mode == LK_UNLCK:
            if held.get(fd) != (position, nbytes):
                raise OSError(errno.EACCES, "Permission denied (region not locked)")
            del held[fd]
            fcntl.flock(fd, fcntl.LOCK_UN)
            return
        tries = 10 if mode in (LK_LOCK, LK_RLCK) else 1
        for attempt in range(tries):
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if attempt + 1 < tries:
                    time.sleep(1)
                continue
            held[fd] = (position, nbytes)
            return
        raise OSError(errno.EDEADLK, "Resource deadlock avoided")

    module = types.ModuleType("msvcrt", "stand-in for Windows' msvcrt (locking only)")
    names = {"LK_UNLCK": LK_UNLCK, "LK_LOCK": LK_LOCK, "LK_NBLCK": LK_NBLCK, "LK_RLCK": LK_RLCK}
    for name, value in {**names, "LK_NBRLCK": LK_NBRLCK, "locking": locking}.items():
        setattr(module, name, value)
    sys.modules["fcntl"] = None  # type: ignore[assignment]
    sys.modules["msvcrt"] = module
    return module
