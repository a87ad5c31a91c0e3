"""Reading keyvault-acmebot's tags (both styles) and the tags an adoption writes."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

from renewer.core.models import StoredCertificate
from renewer.stores.keyvault.foreign import ACMEBOT_TAGS, read_foreign
from renewer.stores.keyvault.listing import ListedCertificate
from renewer.stores.keyvault.policy import (
    MANAGED_BY,
    TAG_DIRECTORY,
    TAG_DOMAINS,
    TAG_FINGERPRINT,
    TAG_KEY,
    adoption_tags,
    stored_from_properties,
)
from tests.unit.factories import DIRECTORY, NOW, spec

V4 = {"Issuer": "Acmebot", "Endpoint": "acme-v02.api.letsencrypt.org", "DnsProvider": "Azure DNS"}
V5 = {
    "Acmebot": json.dumps(
        {
            "endpoint": "acme-v02.api.letsencrypt.org",
            "dnsProvider": "Cloudflare",
            "certificateId": "aki.serial",
        }
    )
}


def test_v4_tags() -> None:
    found = read_foreign(V4)
    assert found is not None and found.style == "v4 tags" and found.selected_by == ("Issuer",)
    assert (found.endpoint, found.dns_provider, found.certificate_id) == (
        "acme-v02.api.letsencrypt.org",
        "Azure DNS",
        None,
    )
    # Old v4 certificates recorded the endpoint as a URL; acmebot compares hosts.
    legacy = read_foreign({**V4, "Endpoint": "https://acme-v02.api.letsencrypt.org/directory"})
    assert legacy is not None and legacy.endpoint == "acme-v02.api.letsencrypt.org"


def test_v5_json_tag_with_certificate_id() -> None:
    found = read_foreign(V5)
    assert found is not None and found.style == "v5 tag" and found.selected_by == ("Acmebot",)
    assert found.certificate_id == "aki.serial" and found.dns_provider == "Cloudflare"
    assert "acmebot (v5 tag, ACME endpoint acme-v02" in found.words()


def test_other_tags_are_no_known_tool() -> None:
    assert read_foreign({"Issuer": "DigiCert", "owner": "web"}) is None
    assert read_foreign(None) is None
    broken = read_foreign({"Acmebot": "{not json"})  # still acmebot's (it selects on the key)
    assert broken is not None and broken.endpoint is None


def test_a_listed_acmebot_certificate_is_unmanaged_and_names_its_issuer() -> None:
    listed = ListedCertificate(
        "web", True, b"x", NOW - timedelta(days=80), NOW + timedelta(days=10), V5
    )
    stored = stored_from_properties(listed)
    assert stored is not None and not stored.managed
    assert stored.foreign is not None and stored.ari_cert_id == "aki.serial"


def test_adoption_tags_describe_the_certificate_as_it_is_and_drop_acmebots() -> None:
    want = replace(spec("web"), tags={"owner": "web-team"})
    theirs = StoredCertificate(
        "web",
        NOW - timedelta(days=30),
        NOW + timedelta(days=60),
        "abc",
        domains=("example.test",),
        key="rsa-2048",
        ari_cert_id="aki.abc",
        managed=False,
        foreign=read_foreign({**V4, "Endpoint": "127.0.0.1"}),
    )
    tags = adoption_tags(want, theirs)
    assert tags[MANAGED_BY] == "renewer" and tags["owner"] == "web-team"
    assert not ACMEBOT_TAGS & set(tags)
    assert tags[TAG_KEY] == "rsa-2048" and tags[TAG_DOMAINS] == "example.test"
    assert tags[TAG_DIRECTORY] == DIRECTORY  # same CA host: the config's directory
    assert tags[TAG_FINGERPRINT] != want.fingerprint()  # names and key differ: renew next
    same = replace(theirs, domains=want.domains, key=want.key)
    assert adoption_tags(want, same)[TAG_FINGERPRINT] == want.fingerprint()


def test_tag_values_reach_reports_as_plain_words_only() -> None:
    """Whoever can tag the vault chose these values; they end up in plans and chat."""
    found = read_foreign(
        {
            "Issuer": "Acmebot",
            "Endpoint": "evil.example](https://x.test)<img src=x>",
            "DnsProvider": "Azure DNS\n@channel *bold* `code`",
        }
    )
    assert found is not None
    assert found.endpoint is None  # not a host at all
    assert found.dns_provider == "Azure DNS channel bold code"
    plain = read_foreign({"Issuer": "Acmebot", "Endpoint": "acme<b>.example.org\n"})
    assert plain is not None and plain.endpoint == "acmeb.example.org"
    assert read_foreign({"Issuer": "Acmebot", "Endpoint": "https://[::1"}) is not None
