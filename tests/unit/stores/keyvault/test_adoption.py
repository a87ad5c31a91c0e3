"""stores.keyvault.adoption: another tool's certificate taken over by its tags alone."""

from __future__ import annotations

import pytest
from azure.keyvault.certificates import CertificateProperties
from cryptography import x509
from rig import KeyVaultStandIn

from renewer.stores.contract import StoreError
from renewer.stores.keyvault.adoption import write_adoption
from renewer.stores.keyvault.foreign import ACMEBOT_TAGS
from renewer.stores.keyvault.policy import MANAGED_BY, MANAGED_VALUE, TAG_DOMAINS, TAG_SERIAL
from tests.unit.factories import spec
from tests.unit.stores.keyvault.vault import client, pfx

ACMEBOT_V4 = {"Issuer": "Acmebot", "Endpoint": "127.0.0.1", "DnsProvider": "AzureDns"}


def current(keyvault: KeyVaultStandIn, name: str) -> tuple[CertificateProperties, x509.Certificate]:
    found = client(keyvault).get_certificate(name)
    return found.properties, x509.load_der_x509_certificate(bytes(found.cer or b""))


def test_the_other_tools_tags_are_replaced_by_renewers_in_the_same_version(
    keyvault: KeyVaultStandIn,
) -> None:
    certs = client(keyvault)
    made = certs.import_certificate(
        "adopt-web", pfx("example.test", "www.example.test", serial=0xABC), tags=ACMEBOT_V4
    )
    s = spec("adopt-web")
    before = write_adoption(certs, s, current(keyvault, "adopt-web"), "vault kv")
    assert not before.managed and before.foreign is not None
    assert before.foreign.tool == "acmebot" and before.serial == "abc"
    after = certs.get_certificate("adopt-web").properties
    assert after.version == made.properties.version  # no new version, nothing re-imported
    tags = after.tags or {}
    assert tags[MANAGED_BY] == MANAGED_VALUE and tags[TAG_SERIAL] == "abc"
    assert tags[TAG_DOMAINS] == "example.test,www.example.test"
    assert not set(tags) & ACMEBOT_TAGS  # acmebot's loop no longer selects it


def test_a_certificate_already_renewers_is_not_written(keyvault: KeyVaultStandIn) -> None:
    certs = client(keyvault)
    certs.import_certificate(
        "adopt-ours", pfx("a.example.test"), tags={MANAGED_BY: MANAGED_VALUE, TAG_SERIAL: "1"}
    )
    patches = keyvault.count("PATCH /certificates/{name}", "adopt-ours")
    stored = write_adoption(certs, spec("adopt-ours"), current(keyvault, "adopt-ours"), "kv")
    assert stored.managed
    assert keyvault.count("PATCH /certificates/{name}", "adopt-ours") == patches


def test_nothing_to_adopt_is_a_store_error_naming_it(keyvault: KeyVaultStandIn) -> None:
    with pytest.raises(StoreError, match="vault kv: no certificate named gone-web to adopt"):
        write_adoption(client(keyvault), spec("gone-web"), None, "vault kv")
