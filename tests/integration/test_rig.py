"""Tests of the real-server rig itself.

Why: every integration test of the renewer trusts these servers; if the rig
silently misbehaved (a Pebble that skips validation, a BIND that accepts
unsigned updates) the renewer's tests would prove nothing.  The end-to-end
tests issue real certificates with the ``acme`` library, independent of the
renewer's own code, so a renewer failure can be told apart from a rig failure.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import time
from collections.abc import Callable
from typing import Any

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.update
import pytest
import rig.bind
import rig.challtestsrv
import rig.pebble
from acme import challenges, client, crypto_util, messages
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from josepy.jwa import ES256
from josepy.jwk import JWKEC
from rig import (
    Bind,
    Challtestsrv,
    Pebble,
    PebbleProfile,
    Resolver,
    RigError,
    TlsMaterial,
    find_binary,
    free_port,
    make_eab_key,
)

pytestmark = pytest.mark.integration

PebbleFactory = Callable[..., Pebble]
ALIAS_CHALLENGE = "_acme-challenge.alias.example.test."
DELEGATED_CHALLENGE = "_acme-challenge.delegated.test."


# -- helpers -------------------------------------------------------------------------


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); Popen.wait() in stop() reaps, so any
    # survivor here is a real process.
    return True


def _tsig_update(
    server: Bind,
    zone: str,
    *,
    add: dict[str, list[str]] | None = None,
    delete: dict[str, list[str]] | None = None,
    signed: bool = True,
) -> int:
    """Send one RFC 2136 update over TCP and return the response rcode."""
    upd = (
        dns.update.UpdateMessage(zone, keyring=server.keyring(), keyalgorithm=server.algorithm)
        if signed
        else dns.update.UpdateMessage(zone)
    )
    for name, values in (add or {}).items():
        for value in values:
            upd.add(name, 60, "TXT", f'"{value}"')
    for name, values in (delete or {}).items():
        for value in values:
            upd.delete(name, "TXT", f'"{value}"')
    resp = dns.query.tcp(upd, server.address, port=server.port, timeout=5)
    return resp.rcode()


def _issue(
    pebble: Pebble,
    domains: list[str],
    publish: Callable[[str, str], None],
    *,
    eab: tuple[str, str] | None = None,
    profile: str | None = None,
) -> x509.Certificate:
    """Issue a certificate with the acme library, publishing DNS-01 tokens via ``publish``."""
    account_key = JWKEC(key=ec.generate_private_key(ec.SECP256R1()))
    # verify_ssl is typed bool but handed to requests' ``verify``: a CA path works.
    ca_bundle: Any = str(pebble.ca_bundle)
    net = client.ClientNetwork(
        account_key, alg=ES256, user_agent="renewer-rig-test", verify_ssl=ca_bundle
    )
    directory = client.ClientV2.get_directory(pebble.directory_url, net)
    acme = client.ClientV2(directory, net)
    binding = None
    if eab is not None:
        binding = messages.ExternalAccountBinding.from_data(
            account_public_key=account_key.public_key(),
            kid=eab[0],
            hmac_key=eab[1],
            directory=directory,
        )
    acme.new_account(
        messages.NewRegistration.from_data(
            terms_of_service_agreed=True, external_account_binding=binding
        )
    )
    cert_key = ec.generate_private_key(ec.SECP256R1())
    key_pem = cert_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    order = acme.new_order(crypto_util.make_csr(key_pem, domains), profile=profile)
    for authz in order.authorizations:
        chall = next(c for c in authz.body.challenges if isinstance(c.chall, challenges.DNS01))
        publish(
            chall.chall.validation_domain_name(authz.body.identifier.value),
            chall.chall.validation(account_key),
        )
        acme.answer_challenge(chall, chall.chall.response(account_key))
    deadline = dt.datetime.now() + dt.timedelta(seconds=60)
    done = acme.poll_and_finalize(order, deadline)
    return x509.load_pem_x509_certificates(done.fullchain_pem.encode())[0]


# -- TLS + process plumbing ------------------------------------------------------------


def test_tls_material_is_a_valid_localhost_chain(tls_root: TlsMaterial) -> None:
    root = x509.load_pem_x509_certificate(tls_root.root.read_bytes())
    leaf = x509.load_pem_x509_certificate(tls_root.cert.read_bytes())
    leaf.verify_directly_issued_by(root)
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert tls_root.key.stat().st_mode & 0o077 == 0


def test_missing_binary_fails_loudly_naming_the_installer() -> None:
    with pytest.raises(RigError, match=r"scripts/install-rig\.sh"):
        find_binary("definitely-not-a-rig-binary")


def test_free_port_is_unique_and_bindable() -> None:
    ports = {free_port() for _ in range(20)}
    assert len(ports) == 20


# -- Pebble ---------------------------------------------------------------------------


def test_pebble_directory_offers_ari_and_default_profile(
    pebble_factory: PebbleFactory, challtestsrv: Challtestsrv
) -> None:
    pebble = pebble_factory(dns_server=challtestsrv.dns_address)
    directory = pebble.directory()
    assert directory["renewalInfo"].startswith(f"https://127.0.0.1:{pebble.port}/")
    assert "renewalInfo" in directory["renewalInfo"]
    assert directory["meta"]["externalAccountRequired"] is False
    assert list(directory["meta"]["profiles"]) == ["default"]
    assert pebble.directory_url == f"https://127.0.0.1:{pebble.port}/dir"


def test_pebble_roots_and_intermediates(
    pebble_factory: PebbleFactory, challtestsrv: Challtestsrv
) -> None:
    pebble = pebble_factory(dns_server=challtestsrv.dns_address, alternate_roots=1)
    roots = [x509.load_pem_x509_certificate(p.encode()) for p in pebble.roots_pem()]
    assert len(roots) == 2
    assert pebble.root_pem(0) == pebble.roots_pem()[0]
    intermediate = x509.load_pem_x509_certificate(pebble.intermediate_pem(0).encode())
    intermediate.verify_directly_issued_by(roots[0])


def test_pebble_config_shape_and_env(
    pebble_factory: PebbleFactory, challtestsrv: Challtestsrv
) -> None:
    key = make_eab_key()
    pebble = pebble_factory(
        dns_server=challtestsrv.dns_address,
        eab_keys={"kid-1": key},
        validity_period=3600,
        profiles={"short": PebbleProfile("short one", 600), "plain": PebbleProfile("plain")},
        nonce_reject=100,
    )
    cfg = json.loads(pebble.config_path.read_text())["pebble"]
    assert cfg["listenAddress"] == f"127.0.0.1:{pebble.port}"
    assert cfg["managementListenAddress"] == f"127.0.0.1:{pebble.management_port}"
    assert cfg["externalAccountBindingRequired"] is True
    assert cfg["externalAccountMACKeys"] == {"kid-1": key}
    assert cfg["profiles"] == {
        "short": {"description": "short one", "validityPeriod": 600},
        "plain": {"description": "plain", "validityPeriod": 3600},
    }
    meta = pebble.directory()["meta"]
    assert meta["externalAccountRequired"] is True
    assert meta["profiles"] == {"short": "short one", "plain": "plain"}
    log = pebble.log_path.read_text()
    assert "Configured to reject 100% of good nonces" in log
    assert "Configured to attempt authz reuse for each identifier 0% of the time" in log
    assert "Disabling random VA sleeps" in log


def test_pebble_is_stopped_by_pid(
    tmp_path_factory: pytest.TempPathFactory, tls_root: TlsMaterial, challtestsrv: Challtestsrv
) -> None:
    with Pebble(
        tmp_path_factory.mktemp("p"), tls_root, dns_server=challtestsrv.dns_address
    ) as pebble:
        pid = pebble.pid
        assert _pid_alive(pid)
    assert not _pid_alive(pid)


# -- challtestsrv ---------------------------------------------------------------------


def test_challtestsrv_serves_txt_set_via_api(challtestsrv: Challtestsrv) -> None:
    host = "_acme-challenge.x.test."
    challtestsrv.set_txt(host, "one")
    challtestsrv.set_txt(host, "two")  # appends
    query = dns.message.make_query(host, dns.rdatatype.TXT)
    for send in (dns.query.udp, dns.query.tcp):  # Pebble's VA uses TCP
        resp = send(query, "127.0.0.1", port=challtestsrv.dns_port, timeout=2)
        values = sorted(b"".join(rd.strings).decode() for rrset in resp.answer for rd in rrset)
        assert values == ["one", "two"]
    challtestsrv.clear_txt(host)
    resp = dns.query.udp(query, "127.0.0.1", port=challtestsrv.dns_port, timeout=2)
    assert not resp.answer


# -- BIND -----------------------------------------------------------------------------


def test_bind_serves_zones_authoritatively(bind: Bind) -> None:
    for zone in ("example.test.", "delegated.test."):
        resp = bind.query(zone, "SOA", tcp=True)
        assert resp.rcode() == dns.rcode.NOERROR and resp.answer
    assert bind.query("example.com.", "A").rcode() == dns.rcode.REFUSED  # recursion off
    assert bind.dns_address == f"127.0.0.1:{bind.port}"


def test_bind_tsig_update_adds_and_deletes_individual_txt_values(bind: Bind) -> None:
    name = "_acme-challenge.www.example.test."
    rcode = _tsig_update(bind, "example.test.", add={name: ["token-a", "token-b"]})
    assert rcode == dns.rcode.NOERROR
    assert bind.txt_values(name) == ["token-a", "token-b"]
    assert _tsig_update(bind, "example.test.", delete={name: ["token-a"]}) == dns.rcode.NOERROR
    assert bind.txt_values(name) == ["token-b"]
    assert bind.zone_file("example.test.").with_suffix(".db.jnl").exists()


def test_bind_refuses_unsigned_update(bind: Bind) -> None:
    name = "_acme-challenge.www.example.test."
    rcode = _tsig_update(bind, "example.test.", add={name: ["x"]}, signed=False)
    assert rcode == dns.rcode.REFUSED
    assert bind.txt_values(name) == []


def test_cname_delegation_is_followed_by_resolver_not_by_bind(
    bind: Bind, resolver: Resolver
) -> None:
    _tsig_update(bind, "delegated.test.", add={DELEGATED_CHALLENGE: ["delegated-token"]})
    # Authoritative and non-recursive: BIND stops at the cross-zone CNAME.
    auth = bind.query(ALIAS_CHALLENGE, "TXT", tcp=True)
    assert [rrset.rdtype for rrset in auth.answer] == [dns.rdatatype.CNAME]
    # The resolver (what Pebble should use for CNAME tests) chases it.
    rec = resolver.query(ALIAS_CHALLENGE, "TXT", tcp=True)
    assert [rrset.rdtype for rrset in rec.answer] == [dns.rdatatype.CNAME, dns.rdatatype.TXT]
    assert resolver.txt_values(ALIAS_CHALLENGE) == ["delegated-token"]
    # Cache capped at TTL 0 (whole seconds): a change upstream shows within ~1 s.
    _tsig_update(bind, "delegated.test.", add={DELEGATED_CHALLENGE: ["second"]})
    deadline = time.monotonic() + 2.5
    while resolver.txt_values(ALIAS_CHALLENGE) != ["delegated-token", "second"]:
        assert time.monotonic() < deadline, "resolver kept serving a stale answer"
        time.sleep(0.1)


# -- end to end: a real issuance through each DNS server ------------------------------


def test_issue_via_bind_with_eab_profile_and_cname_delegation(
    pebble_factory: PebbleFactory, bind: Bind, resolver: Resolver
) -> None:
    kid, key = "rig-kid", make_eab_key()
    pebble = pebble_factory(
        dns_server=resolver.dns_address,
        eab_keys={kid: key},
        profiles={"short": PebbleProfile("short", 7200), "long": PebbleProfile("long", 86400)},
    )

    def publish(name: str, value: str) -> None:
        name = name.rstrip(".") + "."  # acme gives it without the dot; updates need FQDNs
        zone = "delegated.test." if name == ALIAS_CHALLENGE else "example.test."
        target = DELEGATED_CHALLENGE if zone == "delegated.test." else name
        assert _tsig_update(bind, zone, add={target: [value]}) == dns.rcode.NOERROR

    cert = _issue(
        pebble, ["www.example.test", "alias.example.test"], publish, eab=(kid, key), profile="short"
    )
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sorted(names.get_values_for_type(x509.DNSName)) == [
        "alias.example.test",
        "www.example.test",
    ]
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert lifetime == dt.timedelta(seconds=7200 - 1)  # Pebble: notAfter = nb + v - 1s


def test_issue_via_challtestsrv_with_validity_period(
    pebble_factory: PebbleFactory, challtestsrv: Challtestsrv
) -> None:
    pebble = pebble_factory(dns_server=challtestsrv.dns_address, validity_period=3600)
    cert = _issue(pebble, ["a.test"], challtestsrv.set_txt)
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert lifetime == dt.timedelta(seconds=3600 - 1)
    assert challtestsrv.dns_request_history("_acme-challenge.a.test.")


# -- port races --------------------------------------------------------------------


@pytest.mark.parametrize("server", ["bind", "challtestsrv", "pebble"])
def test_server_retries_when_its_port_is_taken(
    server: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
    tls_root: TlsMaterial,
) -> None:
    """Another process grabbing the chosen port must cost a retry, not a failed test."""
    module = {"bind": rig.bind, "challtestsrv": rig.challtestsrv, "pebble": rig.pebble}[server]
    with socket.socket() as tcp, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        tcp.bind(("127.0.0.1", 0))
        tcp.listen()
        taken = tcp.getsockname()[1]
        udp.bind(("127.0.0.1", taken))
        handed: list[int] = []

        def first_taken_then_free() -> int:
            handed.append(taken if not handed else free_port())
            return handed[-1]

        monkeypatch.setattr(module, "free_port", first_taken_then_free)
        workdir = tmp_path_factory.mktemp(server)
        instance: Bind | Challtestsrv | Pebble
        if server == "bind":
            instance = Bind(workdir)
        elif server == "challtestsrv":
            instance = Challtestsrv(workdir)
        else:
            instance = Pebble(workdir, tls_root, dns_server="127.0.0.1:1")
        with instance:
            assert instance.pid and _pid_alive(instance.pid)
        assert handed[0] == taken
        assert instance.log_path.read_text().count("--- starting") == 2  # one retry


# -- step-ca ----------------------------------------------------------------------------


def test_stepca_directory_has_no_ari_and_stops_by_pid(
    stepca_factory: Any, challtestsrv: Challtestsrv
) -> None:
    ca = stepca_factory(resolver=challtestsrv.dns_address)
    directory = ca.directory()
    assert directory["newOrder"] == f"https://127.0.0.1:{ca.port}/acme/acme/new-order"
    assert "renewalInfo" not in directory  # step-ca v0.30.2 offers no ARI
    assert "externalAccountRequired" not in directory.get("meta", {})
    pid = ca.pid
    ca.stop()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
