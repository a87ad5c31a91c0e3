"""dns.providers.valueset: one TXT value added or removed on APIs that replace the whole set."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from renewer.dns.contract import DnsError
from renewer.dns.providers.valueset import MAX_ROUNDS, NameLocks, change_value


class TxtSet:
    """A record set as a replace-only API keeps it; ``rival`` runs after each of our writes."""

    def __init__(self, *values: str) -> None:
        self.values = list(values)
        self.writes: list[list[str]] = []
        self.rival: Callable[[], None] | None = None

    def read(self) -> list[str]:
        return list(self.values)

    def write(self, values: list[str]) -> None:
        self.writes.append(values)
        self.values = list(values)
        if self.rival is not None:
            self.rival()


def change(txt: TxtSet, value: str, adding: bool, key: str = "pdns|_acme.a.test") -> int:
    return change_value(key, value, adding=adding, read=txt.read, write=txt.write, what="pdns")


def test_adding_keeps_the_values_already_there() -> None:
    txt = TxtSet("theirs")
    assert change(txt, "ours", adding=True) == 1
    assert txt.writes == [["theirs", "ours"]]


def test_nothing_is_written_when_the_set_already_says_so() -> None:
    txt = TxtSet("ours")
    assert change(txt, "ours", adding=True) == 0
    assert change(txt, "absent", adding=False) == 0
    assert txt.writes == []


def test_removing_the_last_value_writes_an_empty_set() -> None:
    txt = TxtSet("ours", "theirs")
    assert change(txt, "ours", adding=False) == 1
    assert change(txt, "theirs", adding=False) == 1
    assert txt.writes == [["theirs"], []]


def test_a_lost_update_is_noticed_and_redone() -> None:
    txt = TxtSet("theirs")
    rounds: list[int] = []

    def overwrite_once() -> None:  # another writer wrote its own list, without ours
        rounds.append(1)
        if len(rounds) == 1:
            txt.values = ["theirs", "another"]

    txt.rival = overwrite_once
    assert change(txt, "ours", adding=True) == 2
    assert txt.values == ["theirs", "another", "ours"]


def test_a_writer_that_always_wins_makes_a_transient_error_after_bounded_rounds() -> None:
    txt = TxtSet()

    def always() -> None:
        txt.values = ["theirs"]

    txt.rival = always
    with pytest.raises(DnsError, match="another writer kept replacing") as caught:
        change(txt, "ours", adding=True)
    assert caught.value.transient
    assert len(txt.writes) == MAX_ROUNDS


def test_writers_of_one_name_in_one_process_never_lose_each_others_value() -> None:
    txt = TxtSet()
    slow_read = txt.read

    def read() -> list[str]:  # widen the read-modify-write window
        values = slow_read()
        threading.Event().wait(0.005)
        return values

    start = threading.Barrier(6)

    def writer(n: int) -> None:
        start.wait()
        change_value(
            "pdns|_acme.b.test", f"v{n}", adding=True, read=read, write=txt.write, what="pdns"
        )

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(txt.values) == [f"v{n}" for n in range(6)]
    assert len(txt.writes) == 6  # each wrote once: the lock kept the windows apart


def test_one_lock_per_key_shared_across_callers() -> None:
    assert NameLocks.get("x|a") is NameLocks.get("x|a")
    assert NameLocks.get("x|a") is not NameLocks.get("y|a")
