"""stores.keyvault.versions: a certificate's merged versions, newest first, for verify."""

from __future__ import annotations

import hashlib

from azure.keyvault.certificates import CertificatePolicy
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from rig import KeyVaultStandIn

from renewer.stores.keyvault.policy import TAG_SERIAL
from renewer.stores.keyvault.versions import list_versions
from tests.unit.stores.keyvault.vault import client, pfx


def test_merged_versions_newest_first_with_the_current_one_marked(
    keyvault: KeyVaultStandIn,
) -> None:
    certs = client(keyvault)
    old = certs.import_certificate("api", pfx("api.example.test"), tags={TAG_SERIAL: "0a"})
    new = certs.import_certificate("api", pfx("api.example.test"))
    certs.begin_create_certificate(  # a pending create: a version with no thumbprint yet
        "api", CertificatePolicy(issuer_name="Unknown", subject="CN=api.example.test")
    )
    found = list_versions(certs, "api")
    assert [v.version for v in found] == [new.properties.version, old.properties.version]
    assert [v.current for v in found] == [True, False]
    assert (found[0].serial, found[1].serial) == (None, "0a")
    leaf = x509.load_der_x509_certificate(bytes(new.cer or b""))
    assert found[0].sha1 == hashlib.sha1(leaf.public_bytes(Encoding.DER)).hexdigest()  # noqa: S324
    assert found[0].not_after == leaf.not_valid_after_utc
    assert found[0].not_before == leaf.not_valid_before_utc


def test_a_certificate_that_does_not_exist_has_no_versions(keyvault: KeyVaultStandIn) -> None:
    assert list_versions(client(keyvault), "never-made") == ()
