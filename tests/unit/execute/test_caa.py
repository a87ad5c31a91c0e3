"""execute.caa: CAA checked before any DNS write; only a record that clearly forbids fails.

The CAA records are served by a real DNS server (pebble-challtestsrv), named as
the certificate's propagation nameserver; a closed port stands for a lookup
that fails.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from rig.challtestsrv import Challtestsrv

from renewer.core.models import CertificateSpec, Challenge
from renewer.core.settings import PropagationSettings
from renewer.dns import caa as caa_lookups
from renewer.dns.caa_policy import CaaVerdict
from renewer.execute.caa import CaaGuard, advise, forbidden_message, methods
from renewer.stores.contract import AccountRecord
from tests.unit.factories import DIRECTORY, spec
from tests.unit.fakes import MemoryStore

CA = "ca.example"
ACCOUNT = "https://ca.example/acct/7"


@pytest.fixture(scope="module")
def challtestsrv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Challtestsrv]:
    """One server for the module; its name marks the tests that use it ``integration``."""
    with Challtestsrv(Path(tmp_path_factory.mktemp("challtestsrv"))) as server:
        server.add_caa("allowed.test.", ("issue", f"{CA}; accounturi={ACCOUNT}"))
        server.add_caa("other.test.", ("issue", "other-ca.example"))
        server.add_caa("http.test.", ("issue", f"{CA}; validationmethods=http-01"))
        yield server


def checked(server: str, *domains: str, challenge: Challenge = Challenge.DNS_01) -> CertificateSpec:
    s = spec(domains=domains)
    propagation = PropagationSettings(nameservers=(server,), timeout=2.0, interval=0.1)
    return replace(
        s,
        challenge=challenge,
        acme=replace(s.acme, caa_identities=(CA,)),
        dns=replace(s.dns, propagation=propagation),
    )


def test_the_methods_a_record_must_allow_follow_the_challenge() -> None:
    assert methods(spec()) == ("dns-01",)
    assert methods(replace(spec(), challenge=Challenge.DNS_PERSIST_01)) == ("dns-persist-01",)
    assert methods(replace(spec(), challenge=Challenge.AUTO)) == ("dns-01", "dns-persist-01")


def test_the_forbidden_message_names_every_refused_name() -> None:
    refused = [CaaVerdict("a.test", False, "issue other"), CaaVerdict("b.test", False, "why")]
    assert forbidden_message(refused) == (
        "CAA forbids issuance (nothing was ordered or written): a.test: issue other | b.test: why"
    )


def test_verdicts_per_domain_from_the_real_records(challtestsrv: Challtestsrv) -> None:
    s = checked(
        challtestsrv.dns_address, "www.allowed.test", "other.test", "http.test", "none.test"
    )
    verdicts = {v.domain: v.allowed for v in CaaGuard().verdicts(s, (CA,), ACCOUNT)}
    assert verdicts == {
        "www.allowed.test": True,  # the parent's record covers it (tree climbing)
        "other.test": False,
        "http.test": False,  # dns-01 is not among its validation methods
        "none.test": True,  # no CAA at all: any CA may issue
    }
    other_account = CaaGuard().verdicts(checked(challtestsrv.dns_address, "allowed.test"), (CA,),
                                        "https://ca.example/acct/8")  # fmt: skip
    assert [v.allowed for v in other_account] == [False]


def test_one_resolver_per_propagation_setting(challtestsrv: Challtestsrv) -> None:
    guard = CaaGuard()
    a = checked(challtestsrv.dns_address, "a.test")
    assert guard.resolver(a) is guard.resolver(replace(a, name="b"))
    assert guard.resolver(a) is not guard.resolver(checked("127.0.0.1:1", "a.test"))


def test_the_plan_advises_and_a_failed_lookup_is_advice_too(
    challtestsrv: Challtestsrv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(caa_lookups, "QUERY_TIMEOUT", 0.3)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"127.0.0.1:{sock.getsockname()[1]}"
    store = MemoryStore()
    store.save_account(AccountRecord(DIRECTORY, "{}", ACCOUNT))
    specs = [
        replace(checked(challtestsrv.dns_address, "other.test"), name="refused"),
        replace(checked(challtestsrv.dns_address, "www.allowed.test"), name="fine"),
        replace(checked(dead, "x.test"), name="unsure"),
    ]
    lines = advise(specs, CaaGuard(), lambda s: store, lambda s, st: object())  # type: ignore[arg-type,return-value]
    assert lines[0].startswith("refused: other.test: ") and lines[0].endswith("(the run fails it)")
    assert lines[1].startswith("unsure: x.test: CAA not checked: ")
    assert len(lines) == 2  # nothing to say about "fine"
