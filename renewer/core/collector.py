"""Pausing Python's cyclic garbage collector around bulk construction.

Reading certificates.yaml builds a node tree and the frozen settings from it:
about twenty objects per certificate, all reachable, none in a reference cycle.
Each time enough of them pile up the collector walks every tracked object
(so the walks grow with the file), and on a file of 50,000 certificates that
was 40 % of ``validate``. Paused, the objects are freed by
reference counting as usual; only cycles would wait, and there are none.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic collection inside the block; the collector's state is restored after."""
    if not gc.isenabled():  # already paused (the CLI's start-up, or a caller's own pause)
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
