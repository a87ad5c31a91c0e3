"""A certificate's lock on local disk: a file lock on a file that says who holds it.

The lock is ``flock`` (``msvcrt.locking`` on Windows; renewer.core.locking).
The file is opened read-write (``O_RDWR``), so only a user who can write the
store can take the lock: ``flock`` itself is granted on a read-only
descriptor, which let any local user who could read a 0644 ``.lock`` silence
renewals. It is created 0600 whatever the umask and, where the OS can say so
(``O_NOFOLLOW``), never through a symlink.

The holder writes ``{"pid", "host", "since", "start"}`` into the file after
taking the lock (and empties it on release), so a run that finds the lock busy
can say who holds it and whether that process still runs: a pid that is gone,
or alive but started at another time than recorded (the pid was reused), is
not a live renewer, and neither is a holder that recorded nothing. On Windows
a pid is not probed (``os.kill(pid, 0)`` would end the process there): a
holder on this host is then of unknown liveness, as one on another host is.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from renewer.core import locking
from renewer.core.models import LockHolder
from renewer.stores.contract import LockBusy, StoreError

LOCK_MODE = 0o600
RECORD_GRACE = 0.1  # seconds a new holder may take between flock and writing its record
RECORD_POLL = 0.01  # how often the record is looked for meanwhile


def process_start(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), to tell reused pids apart."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    except (OverflowError, ValueError):
        return False
    return True


def parse_holder(text: str) -> LockHolder:
    """What a lock file says, with liveness checked when the holder is on this host."""
    try:
        data = json.loads(text)
        pid = int(data["pid"])
        host = str(data["host"])
    except (ValueError, KeyError, TypeError):
        return LockHolder(live=False)  # nobody recorded: not a renewer holds it
    since = None
    with contextlib.suppress(ValueError, TypeError, KeyError):
        since = datetime.fromisoformat(str(data["since"]))
    if host != socket.gethostname() or os.name == "nt":
        return LockHolder(pid, host, since, None)
    live = pid_alive(pid)
    recorded = data.get("start")
    if live and recorded is not None:
        now_start = process_start(pid)
        live = now_start is None or now_start == str(recorded)
    return LockHolder(pid, host, since, live)


def _record() -> bytes:
    pid = os.getpid()
    body = {
        "pid": pid,
        "host": socket.gethostname(),
        "since": datetime.now(UTC).isoformat(),
        "start": process_start(pid),
    }
    return json.dumps(body).encode() + b"\n"


def _read_all(fd: int) -> str:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 4096):
        chunks.append(chunk)
        if sum(map(len, chunks)) > 65536:
            break
    return b"".join(chunks).decode("utf-8", "replace")


def open_lock_file(path: Path) -> int:
    """Open (creating 0600) for reading and writing; never follow a planted symlink."""
    # Windows has neither flag: no symlink is followed there without privileges anyway,
    # and no descriptor is inherited by a child unless asked.
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, LOCK_MODE)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # O_NOFOLLOW met a symlink
            with contextlib.suppress(OSError):
                path.unlink()  # a symlink where the lock belongs: replace it
            try:
                fd = os.open(path, flags | os.O_EXCL, LOCK_MODE)
            except OSError as again:
                raise StoreError(f"{path}: cannot open the lock ({again.strerror})") from None
        else:
            raise StoreError(f"{path}: cannot open the lock ({exc.strerror})") from None
    if hasattr(os, "fchmod"):  # POSIX modes; Windows knows only read-only
        with contextlib.suppress(OSError):
            os.fchmod(fd, LOCK_MODE)  # an older 0644 lock file is tightened
    return fd


@contextlib.contextmanager
def hold(path: Path, name: str) -> Iterator[None]:
    """Hold ``path`` exclusively; LockBusy (with the holder) if another process has it."""
    fd = open_lock_file(path)
    try:
        if not locking.try_lock(fd):
            text = _read_all(fd)
            until = time.monotonic() + RECORD_GRACE  # the holder may be writing its record
            while not text.strip() and time.monotonic() < until:
                time.sleep(RECORD_POLL)
                text = _read_all(fd)
            holder = parse_holder(text)
            raise LockBusy(
                f"{name} is being renewed by another run ({holder.words()})", holder
            ) from None
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, _record())
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            locking.unlock(fd)
    finally:
        os.close(fd)
