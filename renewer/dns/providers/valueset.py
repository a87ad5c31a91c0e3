"""Single-value add/remove on APIs that only replace a whole TXT set.

PowerDNS and Route 53 write a record set as one list of values and have no
ETag to make that write conditional. Adding one value is therefore a
read-modify-write: read the list, add ours, write the list back. Two writers
at one name (an apex and its wildcard share ``_acme-challenge.<apex>``) could
each write a list missing the other's value. This module narrows that race:

* within one process, every writer of a name holds one lock (keyed by the
  provider's endpoint and the name), so the read and the write are never
  interleaved with a sibling's;
* after writing, the set is read again and the change verified (ours present
  after ``present``, gone after ``cleanup``); a lost update is redone, bounded.

Across processes (two CI jobs on one zone) the window between another
writer's read and write remains: verification catches a value that vanished
before we re-read, and the propagation check before the CA is asked catches
the rest. Providers with a conditional write (Azure's If-Match) or a native
single-value operation (RFC 2136, Cloudflare records) do not need this.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import ClassVar

from renewer.dns.contract import DnsError

MAX_ROUNDS = 5

Read = Callable[[], list[str]]
Write = Callable[[list[str]], None]


class NameLocks:
    """One lock per (endpoint, name), shared by every provider instance in the process."""

    _locks: ClassVar[dict[str, threading.Lock]] = {}
    _guard: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def get(cls, key: str) -> threading.Lock:
        with cls._guard:
            return cls._locks.setdefault(key, threading.Lock())


def _changed(current: Sequence[str], value: str, adding: bool) -> list[str] | None:
    """The list to write, or None when the set already says what we want."""
    if adding:
        return None if value in current else [*current, value]
    if value not in current:
        return None
    return [v for v in current if v != value]


def change_value(
    key: str,
    value: str,
    *,
    adding: bool,
    read: Read,
    write: Write,
    what: str,
) -> int:
    """Add (``adding``) or remove ``value`` by read-modify-write; returns writes made.

    ``write`` receives the complete new list (empty: delete the set). Raises
    DnsError when the change still does not hold after MAX_ROUNDS verified writes.
    """
    writes = 0
    with NameLocks.get(key):
        for _ in range(MAX_ROUNDS):
            wanted = _changed(read(), value, adding)
            if wanted is None:
                return writes
            write(wanted)
            writes += 1
            if (value in read()) == adding:  # verified: our change is what the server holds
                return writes
    raise DnsError(
        f"{what}: another writer kept replacing the TXT set ({MAX_ROUNDS} verified writes lost)",
        transient=True,
    )
