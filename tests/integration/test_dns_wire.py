"""renewer.dns.wire reads what dnspython reads, from the rig's real BIND (issue 17).

Each question is asked both ways and the answers compared: TXT values (many,
long, so the UDP answer is truncated and asked again over TCP), a CNAME, the
SOA of a zone and of a name below it. Malformed and mismatched answers fail
as dnspython's do (DNSException subclasses the callers already handle).
"""

from __future__ import annotations

import os
import struct

import dns.exception
import dns.message
import dns.query
import dns.rdatatype
import pytest
from rig import Bind

from renewer.core.settings import SecretRef
from renewer.dns import wire
from renewer.dns.providers.rfc2136 import Rfc2136Provider

pytestmark = [pytest.mark.integration]


def _host_port(bind: Bind) -> tuple[str, int]:
    host, port = bind.dns_address.rsplit(":", 1)
    return host, int(port)


def _dnspython_txt(bind: Bind, name: str) -> set[str]:
    host, port = _host_port(bind)
    response = dns.query.tcp(dns.message.make_query(name, "TXT"), host, port=port, timeout=5)
    return {
        b"".join(r.strings).decode()
        for rrset in response.answer
        for r in rrset
        if rrset.rdtype == 16
    }


def test_txt_cname_and_soa_read_as_dnspython_reads_them(bind: Bind) -> None:
    os.environ["WIRE_TEST_SECRET"] = bind.secret
    provider = Rfc2136Provider(
        bind.dns_address, bind.key_name, SecretRef("WIRE_TEST_SECRET"), bind.algorithm
    )
    host, port = _host_port(bind)
    name = "_acme-challenge.wire.example.test."
    values = [f"value-{i}-" + "x" * 200 for i in range(6)]  # > 512 bytes: truncated over UDP
    for value in values:
        provider.present(name, value)
    udp = dns.query.udp(dns.message.make_query(name, "TXT"), host, port=port, timeout=5)
    assert udp.flags & dns.flags.TC  # the TCP retry below is really exercised
    answer = wire.ask(host, port, name.upper(), wire.TXT, 5)  # case does not matter
    got = {answer.txt_strings(r).decode() for r in answer.answer if r.rdtype == wire.TXT}
    assert got == set(values) == _dnspython_txt(bind, name)
    alias = wire.ask(host, port, "_acme-challenge.alias.example.test.", wire.CNAME, 5)
    [record] = [r for r in alias.answer if r.rdtype == wire.CNAME]
    assert alias.name_at(record.start) == "_acme-challenge.delegated.test."

    below = wire.ask(host, port, name, wire.SOA, 5, recursion=True)
    assert [r.owner for r in below.authority if r.rdtype == wire.SOA] == ["example.test."]
    apex = wire.ask(host, port, "example.test.", wire.SOA, 5)
    assert [r.owner for r in apex.answer if r.rdtype == wire.SOA] == ["example.test."]
    assert wire.ask(host, port, "nothing.example.test.", wire.TXT, 5).answer == ()


def test_mismatched_and_malformed_answers_are_dns_errors() -> None:
    query = wire.encode_query(7, "a.example.test.", wire.TXT, 0)
    answer = bytearray(query)
    answer[2] |= 0x80  # QR: an answer, no records
    assert wire.parse(bytes(answer), 7, "A.Example.Test.", wire.TXT).answer == ()
    with pytest.raises(dns.query.BadResponse):
        wire.parse(bytes(answer), 8, "a.example.test.", wire.TXT)  # another ID
    with pytest.raises(dns.query.BadResponse):
        wire.parse(bytes(answer), 7, "b.example.test.", wire.TXT)  # another question
    with pytest.raises(dns.query.BadResponse):
        wire.parse(query, 7, "a.example.test.", wire.TXT)  # no QR bit: not an answer
    two_strings = bytearray(answer)
    two_strings[7] = 1  # one TXT record of two character-strings (RFC 1035 3.3.14)
    rdata = b"\x03abc\x02de"
    two_strings += struct.pack("!HHHIH", 0xC00C, wire.TXT, 1, 60, len(rdata)) + rdata
    parsed = wire.parse(bytes(two_strings), 7, "a.example.test.", wire.TXT)
    assert [parsed.txt_strings(r) for r in parsed.answer] == [b"abcde"]
    assert parsed.answer[0].owner == "a.example.test."  # the compressed owner
    looped = bytearray(answer)
    looped[7] = 1  # one answer record whose owner points at itself
    looped += struct.pack("!H", 0xC000 | len(answer))
    with pytest.raises(dns.exception.FormError):
        wire.parse(bytes(looped), 7, "a.example.test.", wire.TXT)
    with pytest.raises(dns.exception.FormError):
        wire.parse(bytes(answer[:-3]), 7, "a.example.test.", wire.TXT)  # cut short
    assert wire.plain_name("_acme-challenge.b1.example.test.")
    assert not wire.plain_name("_acme-challenge.bücher.example.")  # dnspython's IDNA path
    assert not wire.plain_name("a\\.b.example.")


def test_a_silent_server_times_out_within_the_budget() -> None:
    import socket
    import time

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        started = time.monotonic()
        with pytest.raises(dns.exception.Timeout):
            wire.ask("127.0.0.1", silent.getsockname()[1], "a.example.test.", wire.TXT, 0.3)
        assert time.monotonic() - started < 1.0
