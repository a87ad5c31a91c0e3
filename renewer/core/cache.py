"""A thread-safe "build once per key" map, for the clients a run shares.

Several threads may ask for the same store, account, provider or journal at
once; each must be built exactly once (one sign-in, one CA session), so the
build runs under the lock. Builds are quick (no network), so one lock is fine.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Cache(Generic[K, V]):
    """``get(key, build)`` returns the value built for ``key``, building it on first use."""

    def __init__(self) -> None:
        self._values: dict[K, V] = {}
        self._lock = threading.Lock()

    def get(self, key: K, build: Callable[[], V]) -> V:
        with self._lock:
            if key not in self._values:
                self._values[key] = build()
            return self._values[key]

    def values(self) -> Iterator[V]:
        """A snapshot of the values built so far."""
        with self._lock:
            return iter(list(self._values.values()))

    def clear(self) -> list[V]:
        """Forget every value; returns them, for the caller to close."""
        with self._lock:
            values = list(self._values.values())
            self._values.clear()
            return values
