"""The transient CA problems one certificate's order met and retried.

A CA under load (step-ca's "Transaction Conflict" 500s under concurrent
orders) is retried correctly, so the certificate succeeds; only a log line at
INFO said the CA struggled. The requests tell this counter through the ACME
client's public hook (``AcmeClient.on_transient``), and so does the
executor's new-order retry; the certificate's result carries the counts, so
the report, the job summary and a warning line can say so.
"""

from __future__ import annotations

import threading
from collections import Counter


class Struggle:
    """Counts of retried transient CA problems, by ACME code (safe across threads)."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def note(self, code: str) -> None:
        """One transient problem (``code``, e.g. "serverInternal") that is being retried."""
        with self._lock:
            self._counts[code] += 1

    def counts(self) -> tuple[tuple[str, int], ...]:
        """(code, times) sorted by code; empty when the CA never needed a retry."""
        with self._lock:
            return tuple(sorted(self._counts.items()))
