"""Reading an input file safely: a regular file, under a size cap, never blocking.

``validate -c /dev/zero`` used to read until the kernel killed the process and
a FIFO hung it forever. Inputs (the configuration, CA bundles) must be regular
files under a cap, checked before they are opened.
"""

from __future__ import annotations

import stat
from pathlib import Path

from renewer.core.errors import RenewerError

MAX_INPUT = 16 * 1024 * 1024  # 16 MiB: far above any real configuration or bundle


class BoundedReadError(RenewerError, ValueError):
    """The file is not something to read as an input; the message says why (no path)."""


def read_bounded(path: Path, cap: int = MAX_INPUT) -> bytes:
    """The file's bytes; BoundedReadError if it is missing, not regular, or over ``cap``.

    ``stat`` first (it never blocks, unlike opening a FIFO), then one read; a
    file swapped for a FIFO between the two is the only case left open, and
    only someone who already controls the folder can do that.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        raise BoundedReadError("does not exist") from None
    except OSError as exc:
        raise BoundedReadError(f"cannot be read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        raise BoundedReadError("is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise BoundedReadError("is not a regular file (a device, pipe or socket)")
    if info.st_size > cap:
        raise BoundedReadError(f"is larger than {cap // (1024 * 1024)} MiB")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BoundedReadError(f"cannot be read: {exc.strerror or exc}") from None
    if len(data) > cap:  # grew after the check
        raise BoundedReadError(f"is larger than {cap // (1024 * 1024)} MiB")
    return data


def base_dir(config: Path) -> Path:
    """The folder that relative paths in the configuration ``config`` are read from.

    The real file's folder, symlinks followed: a certificates.yaml reached
    through a symlink elsewhere plans against the same store, and keeps its run
    state in the same place, as the file itself.
    """
    return config.resolve().parent
