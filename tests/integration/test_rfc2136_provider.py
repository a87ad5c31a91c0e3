"""The RFC 2136 provider asks a name's zone once per run and decodes its TSIG key once.

Against the rig's real BIND: many present/cleanup pairs on one provider (as
the orders of one run share it) send one SOA query per name, not one per
update, and the values really come and go.
"""

from __future__ import annotations

from typing import Any

import dns.message
import dns.query
import dns.rdatatype
import pytest
from rig import Bind

from renewer.config.types.dns_rfc2136 import Rfc2136Settings, TsigSettings
from renewer.core.settings import SecretRef
from renewer.dns.providers.rfc2136 import Rfc2136Provider

pytestmark = [pytest.mark.integration]


def test_zone_and_key_are_worked_out_once_per_name_and_run(
    bind: Bind, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RFC2136_TEST_SECRET", bind.secret)
    secret = SecretRef("RFC2136_TEST_SECRET")
    resolved: list[str] = []
    real_resolve = SecretRef.resolve
    monkeypatch.setattr(
        SecretRef, "resolve", lambda self: resolved.append(self.env) or real_resolve(self)
    )
    asked: list[str] = []
    real_udp = dns.query.udp

    def counting_udp(query: dns.message.Message, *args: Any, **kw: Any) -> Any:
        if query.question[0].rdtype == dns.rdatatype.SOA:
            asked.append(query.question[0].name.to_text())
        return real_udp(query, *args, **kw)

    monkeypatch.setattr(dns.query, "udp", counting_udp)
    provider = Rfc2136Provider(
        Rfc2136Settings(bind.dns_address, TsigSettings(bind.key_name, secret, bind.algorithm))
    )
    names = [f"_acme-challenge.z{i}.example.test." for i in range(3)]
    for round_ in range(2):
        for name in names:
            provider.present(name, f"value-{round_}")
        for name in names:
            assert bind.txt_values(name) == [f"value-{round_}"]
            provider.cleanup(name, f"value-{round_}")
            assert bind.txt_values(name) == []
    assert sorted(asked) == sorted(names)  # one SOA query per name
    assert resolved == ["RFC2136_TEST_SECRET"]  # the key decoded once


def test_an_unknown_zone_is_not_remembered(bind: Bind) -> None:
    from renewer.dns.contract import DnsError

    provider = Rfc2136Provider(Rfc2136Settings(bind.dns_address))
    for _ in range(2):  # asked again each time: a failure is not cached
        with pytest.raises(DnsError, match=r"no zone on this server holds|refused"):
            provider.present("_acme-challenge.nowhere.invalid.", "v")
