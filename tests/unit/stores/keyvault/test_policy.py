"""Key Vault store, pure parts: policy per key type, tag budget, reading tags back, CSR reuse."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from azure.keyvault.certificates import CertificateProperties
from azure.keyvault.certificates._generated import models as kv_models
from cryptography import x509

from renewer.core import renewal_window
from renewer.core.certs import IssuedChain, generate_key, make_csr
from renewer.core.models import CertificateSpec, RenewalInfo
from renewer.core.settings import AcmeSettings
from renewer.stores.keyvault.lease import lock_secret_name
from renewer.stores.keyvault.policy import (
    ESSENTIAL_TAGS,
    MANAGED_BY,
    MAX_TAG_VALUE,
    MAX_TAGS,
    TAG_DIRECTORY,
    TAG_DOMAINS,
    TAG_REVOKED,
    TAG_WINDOW,
    build_policy,
    csr_matches,
    fit_tags,
    policy_matches,
    renewer_tags,
    stored_from_properties,
    with_revoked,
    with_window,
)
from renewer.stores.keyvault.store import account_secret_name
from tests.unit.factories import spec
from tests.unit.local_ca import LocalCA


def issued(s: CertificateSpec) -> IssuedChain:
    return LocalCA().finalize(make_csr(generate_key("ec-p256"), s.domains))


def properties(
    tags: dict[str, str] | None, name: str = "www-example-test"
) -> CertificateProperties:
    """Properties exactly as the SDK builds them from a listed item."""
    item = kv_models.CertificateItem(
        {
            "id": f"https://v.vault.azure.net/certificates/{name}",
            "x5t": "q83vEjRWeJA",
            "attributes": {"enabled": True, "nbf": 1790000000, "exp": 1797776000},
            "tags": tags,
        }
    )
    return CertificateProperties._from_certificate_item(item)


@pytest.mark.parametrize(
    ("key", "kty", "size", "curve", "exportable"),
    [
        ("ec-p256", "EC", None, "P-256", True),
        ("ec-p384", "EC", None, "P-384", True),
        ("rsa-2048", "RSA", 2048, None, True),
        ("rsa-3072", "RSA", 3072, None, True),
        ("rsa-4096", "RSA", 4096, None, True),
        ("ec-p256-hsm", "EC-HSM", None, "P-256", False),
        ("rsa-3072-hsm", "RSA-HSM", 3072, None, False),
    ],
)
def test_policy_per_key_type(
    key: str, kty: str, size: int | None, curve: str | None, exportable: bool
) -> None:
    policy = build_policy(spec(key=key), exportable=True, content_type="pem")
    assert (policy.key_type, policy.key_size, policy.key_curve_name) == (kty, size, curve)
    assert policy.exportable is exportable  # HSM keys never leave the HSM
    assert policy.issuer_name == "Unknown" and policy.reuse_key is False
    assert policy.subject == "CN=example.test"
    assert policy.san_dns_names == ["example.test", "www.example.test"]
    assert policy.content_type == "application/x-pem-file"
    assert policy.validity_in_months is None


def test_policy_without_subject_when_first_name_is_too_long_for_a_cn() -> None:
    long_name = "a" * 60 + ".example.test"
    policy = build_policy(spec(domains=(long_name,)), exportable=False, content_type="pkcs12")
    assert policy.subject is None and policy.san_dns_names == [long_name]
    assert policy.exportable is False and policy.content_type == "application/x-pkcs12"


def test_tags_round_trip_through_listed_properties() -> None:
    s = spec(profile="shortlived")
    chain = issued(s)
    tags = fit_tags(renewer_tags(s, chain), {"owner": "web"})
    stored = stored_from_properties(properties(tags))
    assert stored is not None and stored.managed and not stored.revoked
    assert stored.fingerprint == s.fingerprint()
    assert stored.serial == chain.serial and stored.ari_cert_id == chain.ari_cert_id
    assert stored.domains == s.domains and stored.key == s.key
    assert (stored.profile, stored.directory) == ("shortlived", s.acme.directory)
    assert stored.not_after == datetime.fromtimestamp(1797776000, UTC)
    assert tags["owner"] == "web"


def test_ten_user_tags_and_renewers_own_stay_within_key_vault_limits() -> None:
    many = {f"team-tag-{i}": "x" * 256 for i in range(10)}
    domains = tuple(f"host-{i:03d}.example.test" for i in range(30))  # > 256 as a list
    s = replace(spec(domains=domains, profile="tlsserver"), tags=many)
    tags = fit_tags(renewer_tags(s, issued(s)), s.tags)
    assert len(tags) <= MAX_TAGS and all(len(v) <= MAX_TAG_VALUE for v in tags.values())
    assert set(ESSENTIAL_TAGS) <= set(tags) and set(many) <= set(tags)
    assert TAG_DIRECTORY in tags and TAG_DOMAINS not in tags
    stored = stored_from_properties(properties(tags))
    assert stored is not None and stored.domains is None  # planner falls back to fingerprint

    revoked = with_revoked(tags)
    assert len(revoked) <= MAX_TAGS and revoked[TAG_REVOKED] == "true"
    assert set(many) <= set(revoked)
    again = stored_from_properties(properties(revoked))
    assert again is not None and again.revoked


def test_user_tags_cannot_overwrite_renewers() -> None:
    s = replace(spec(), tags={MANAGED_BY: "someone-else", "renewer-serial": "0"})
    chain = issued(s)
    tags = fit_tags(renewer_tags(s, chain), s.tags)
    assert tags[MANAGED_BY] == "renewer" and tags["renewer-serial"] == chain.serial


def test_long_directory_is_hashed_and_read_back_as_unknown() -> None:
    url = "https://ca.example/" + "d" * 300
    s = replace(spec(), acme=AcmeSettings(directory=url))
    tags = renewer_tags(s, issued(s))
    assert tags[TAG_DIRECTORY].startswith("sha256:") and len(tags[TAG_DIRECTORY]) <= 256
    stored = stored_from_properties(properties(tags))
    assert stored is not None and stored.directory is None


def test_certificates_without_renewers_tag_are_unmanaged() -> None:
    for tags in (None, {"owner": "ops"}, {MANAGED_BY: "terraform"}):
        stored = stored_from_properties(properties(tags, "legacy"))
        assert stored is not None and not stored.managed and stored.fingerprint is None


def test_properties_without_dates_are_skipped() -> None:
    item = kv_models.CertificateItem(
        {"id": "https://v.vault.azure.net/certificates/pending-one", "attributes": {}}
    )
    assert stored_from_properties(CertificateProperties._from_certificate_item(item)) is None


@pytest.mark.parametrize(
    ("csr_key", "csr_domains", "spec_key", "matches"),
    [
        ("ec-p256", ("example.test", "www.example.test"), "ec-p256", True),
        ("ec-p256", ("www.example.test", "EXAMPLE.test"), "ec-p256-hsm", True),
        ("ec-p384", ("example.test", "www.example.test"), "ec-p256", False),
        ("rsa-2048", ("example.test", "www.example.test"), "rsa-3072", False),
        ("rsa-2048", ("example.test", "www.example.test"), "rsa-2048", True),
        ("ec-p256", ("example.test",), "ec-p256", False),
    ],
)
def test_pending_csr_reused_only_for_same_names_and_key(
    csr_key: str, csr_domains: tuple[str, ...], spec_key: str, matches: bool
) -> None:
    csr = x509.load_pem_x509_csr(make_csr(generate_key(csr_key), csr_domains))
    assert csr_matches(csr, spec(key=spec_key)) is matches


def test_secret_names_fit_key_vault() -> None:
    assert lock_secret_name("www-example-test") == "renewer-lock-www-example-test"
    long = lock_secret_name("n" * 127)
    assert len(long) <= 127 and long.startswith("renewer-lock-")
    assert long != lock_secret_name("n" * 126 + "m")
    name = account_secret_name("https://acme-v02.api.letsencrypt.org/directory")
    assert name == account_secret_name("https://acme-v02.api.letsencrypt.org/directory")
    assert name.startswith("renewer-acme-account-") and len(name) == 37


def test_policy_match_compares_wire_values_not_enum_names() -> None:
    from azure.keyvault.certificates import CertificatePolicy

    wanted = build_policy(spec(key="ec-p256"), exportable=True, content_type="pkcs12")
    as_read = CertificatePolicy(
        issuer_name="Unknown", key_type="EC", exportable=True, content_type="application/x-pkcs12"
    )
    assert policy_matches(as_read, wanted)
    assert not policy_matches(
        CertificatePolicy(issuer_name="Unknown", key_type="EC-HSM", exportable=False), wanted
    )
    pem = CertificatePolicy(
        issuer_name="Unknown", key_type="EC", exportable=True, content_type="application/x-pem-file"
    )
    assert not policy_matches(pem, wanted)


def _window() -> RenewalInfo:
    now = datetime.now(UTC).replace(microsecond=0)
    return RenewalInfo(
        start=now + timedelta(days=20),
        end=now + timedelta(days=22),
        checked=now,
        next_check=now + timedelta(hours=6),
    )


def test_window_asked_at_issuance_is_tagged_and_read_back() -> None:
    s = spec()
    chain = replace(issued(s), renewal_info=_window())
    tags = fit_tags(renewer_tags(s, chain), {"owner": "web"})
    assert tags[TAG_WINDOW] == renewal_window.encode(_window())
    stored = stored_from_properties(properties(tags))
    assert stored is not None and stored.renewal_info == _window()


def test_window_comes_after_the_directory_and_before_the_explanatory_tags() -> None:
    s = replace(spec(profile="tlsserver"), tags={f"team-{i}": "x" for i in range(9)})
    tags = fit_tags(renewer_tags(s, replace(issued(s), renewal_info=_window())), s.tags)
    # 4 essential + 9 user + directory + window = 15: key, profile and domains give way.
    assert len(tags) == MAX_TAGS and TAG_DIRECTORY in tags and TAG_WINDOW in tags
    assert TAG_DOMAINS not in tags


def test_with_window_replaces_its_own_tag_and_never_pushes_another_out() -> None:
    base = {f"t{i}": "v" for i in range(MAX_TAGS - 1)}
    added = with_window(base, _window())
    assert added is not None and len(added) == MAX_TAGS and set(base) <= set(added)
    again = with_window(added, _window())  # already present: replaced in place
    assert again is not None and len(again) == MAX_TAGS
    full = {f"t{i}": "v" for i in range(MAX_TAGS)}
    assert with_window(full, _window()) is None
    assert with_window(base, replace(_window(), checked=None)) is None
