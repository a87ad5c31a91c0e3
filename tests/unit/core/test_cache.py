"""core.cache: a value is built once per key, even when threads ask at the same moment."""

from __future__ import annotations

import threading
import time

from renewer.core.cache import Cache


def test_a_key_is_built_once_and_its_value_reused() -> None:
    cache: Cache[str, object] = Cache()
    builds: list[str] = []

    def build() -> object:
        builds.append("x")
        return object()

    first = cache.get("a", build)
    assert cache.get("a", build) is first
    assert builds == ["x"]
    assert cache.get("b", build) is not first
    assert len(builds) == 2


def test_threads_asking_at_once_share_one_build() -> None:
    cache: Cache[str, int] = Cache()
    calls: list[int] = []
    start = threading.Barrier(8)
    got: list[int] = []

    def build() -> int:
        calls.append(1)
        time.sleep(0.05)  # a slow build: the others must wait for it, not build their own
        return len(calls)

    def worker() -> None:
        start.wait()
        got.append(cache.get("account", build))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert got == [1] * 8


def test_values_is_a_snapshot_and_clear_hands_back_what_to_close() -> None:
    cache: Cache[int, str] = Cache()
    cache.get(1, lambda: "one")
    snapshot = cache.values()
    cache.get(2, lambda: "two")
    assert list(snapshot) == ["one"]  # taken before "two" was built
    assert sorted(cache.clear()) == ["one", "two"]
    assert list(cache.values()) == []
    assert cache.get(1, lambda: "again") == "again"  # forgotten: built anew
