"""dns.propagation: CNAMEs followed to where the CA looks, authoritative servers polled.

The DNS side is a real DNS server (pebble-challtestsrv, tests/rig/challtestsrv.py),
named as the configured nameserver; a closed port stands for a server that is down.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rig.challtestsrv import Challtestsrv

from renewer.core.retry import Cancelled, Deadline
from renewer.core.settings import PropagationSettings
from renewer.dns import propagation
from renewer.dns.contract import DnsError
from renewer.dns.propagation import (
    PropagationChecker,
    PropagationTimeout,
    Server,
    challenge_name,
    read_txt,
)


@pytest.fixture(autouse=True)
def _quick_queries(monkeypatch: pytest.MonkeyPatch) -> None:
    """A server that is down costs a query timeout: keep it short here."""
    monkeypatch.setattr(propagation, "QUERY_TIMEOUT", 0.2)


@pytest.fixture(scope="module")
def challtestsrv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Challtestsrv]:
    """One server for the module (conftest's is per test); its name marks the tests
    that use it ``integration``."""
    with Challtestsrv(Path(tmp_path_factory.mktemp("challtestsrv"))) as server:
        yield server


def closed_port() -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{sock.getsockname()[1]}"


def checker(*nameservers: str, timeout: float = 5.0, **kw: object) -> PropagationChecker:
    settings = PropagationSettings(nameservers=nameservers, timeout=timeout, interval=0.05)
    return PropagationChecker(settings, **kw)  # type: ignore[arg-type]


def test_a_wildcard_shares_its_base_names_challenge_name() -> None:
    assert challenge_name("example.test") == "_acme-challenge.example.test."
    assert challenge_name("*.example.test") == "_acme-challenge.example.test."


def test_a_server_is_shown_by_its_label_and_address_when_they_differ() -> None:
    assert str(Server("127.0.0.1", 53, "127.0.0.1:53")) == "127.0.0.1:53"
    assert str(Server("192.0.2.1", 53, "ns1.example.test")) == "ns1.example.test (192.0.2.1:53)"


def test_cnames_are_followed_to_the_name_to_write(challtestsrv: Challtestsrv) -> None:
    challtestsrv.set_cname("_acme-challenge.cname.test.", "hop.delegated.test.")
    challtestsrv.set_cname("hop.delegated.test.", "_acme-challenge.final.test.")
    try:
        found = checker(challtestsrv.dns_address).resolve_target("*.cname.test")
        assert found == "_acme-challenge.final.test."
        assert checker(challtestsrv.dns_address).resolve_target("plain.test") == (
            "_acme-challenge.plain.test."
        )
    finally:
        challtestsrv.clear_cname("_acme-challenge.cname.test.")
        challtestsrv.clear_cname("hop.delegated.test.")


def test_a_cname_loop_is_an_error(challtestsrv: Challtestsrv) -> None:
    challtestsrv.set_cname("_acme-challenge.loop.test.", "back.loop.test.")
    challtestsrv.set_cname("back.loop.test.", "_acme-challenge.loop.test.")
    try:
        with pytest.raises(DnsError, match="CNAME loop"):
            checker(challtestsrv.dns_address).resolve_target("loop.test")
    finally:
        challtestsrv.clear_cname("_acme-challenge.loop.test.")
        challtestsrv.clear_cname("back.loop.test.")


def test_the_wait_ends_when_the_value_appears(challtestsrv: Challtestsrv) -> None:
    name = "_acme-challenge.appears.test."
    timer = threading.Timer(0.3, challtestsrv.set_txt, args=(name, "token-1"))
    timer.start()
    try:
        waited = checker(challtestsrv.dns_address).wait_for(name, "token-1")
    finally:
        timer.join()
        challtestsrv.clear_txt(name)
    assert 0.25 <= waited < 4


def test_a_server_that_never_answers_the_value_times_out_naming_it(
    challtestsrv: Challtestsrv,
) -> None:
    name = "_acme-challenge.partial.test."
    dead = closed_port()
    challtestsrv.set_txt(name, "token-2")
    try:
        with pytest.raises(PropagationTimeout) as caught:
            checker(challtestsrv.dns_address, dead, timeout=0.5).wait_for(name, "token-2")
    finally:
        challtestsrv.clear_txt(name)
    message = str(caught.value)
    assert f"not visible at {dead} (" in message  # the dead one, with its error class
    assert challtestsrv.dns_address not in message  # the live one served it
    assert message.endswith("after 0.5s")


def test_the_certificates_deadline_cuts_the_wait_short(challtestsrv: Challtestsrv) -> None:
    started = time.monotonic()
    with pytest.raises(PropagationTimeout, match="before the certificate's deadline"):
        checker(challtestsrv.dns_address, deadline=Deadline.after(0.3)).wait_for(
            "_acme-challenge.never.test.", "nothing"
        )
    assert time.monotonic() - started < 2


def test_cancel_wakes_the_poll(challtestsrv: Challtestsrv) -> None:
    cancel = threading.Event()
    threading.Timer(0.2, cancel.set).start()
    started = time.monotonic()
    with pytest.raises(Cancelled, match="waiting for DNS propagation"):
        checker(challtestsrv.dns_address, cancel=cancel).wait_for("_acme-challenge.x.test.", "v")
    assert time.monotonic() - started < 1.5


def test_read_txt_reports_each_server_once_with_values_or_its_error(
    challtestsrv: Challtestsrv,
) -> None:
    name = "_validation-persist.standing.test."
    dead = closed_port()
    challtestsrv.set_txt(name, "a")
    challtestsrv.set_txt(name, "b")
    try:
        found = {
            str(s): (values, error)
            for s, values, error in read_txt(
                checker(challtestsrv.dns_address, dead, timeout=0.5), name
            )
        }
    finally:
        challtestsrv.clear_txt(name)
    assert found[challtestsrv.dns_address] == (frozenset({"a", "b"}), None)
    values, error = found[dead]
    assert values is None and error
