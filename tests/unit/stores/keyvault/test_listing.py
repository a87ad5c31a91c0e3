"""The Key Vault listing read from the REST answer: the same facts the SDK's models give."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from azure.keyvault.certificates import CertificateProperties
from azure.keyvault.certificates._generated import models as kv_models

from renewer.stores.keyvault.listing import parse_item

ITEM: dict[str, Any] = {
    "id": "https://v.vault.azure.net/certificates/www-example-test",
    "x5t": "q83vEjRWeJA",
    "attributes": {"enabled": True, "nbf": 1790000000, "exp": 1797776000, "recoveryLevel": "x"},
    "tags": {"managed-by": "renewer", "renewer-serial": "0a"},
}


def test_parsed_item_matches_the_sdks_certificate_properties() -> None:
    sdk = CertificateProperties._from_certificate_item(kv_models.CertificateItem(ITEM))
    ours = parse_item(ITEM)
    assert ours is not None
    for attribute in ("name", "enabled", "x509_thumbprint", "not_before", "expires_on", "version"):
        assert getattr(ours, attribute) == getattr(sdk, attribute), attribute
    assert dict(ours.tags or {}) == dict(sdk.tags or {})
    assert ours.expires_on == datetime.fromtimestamp(1797776000, UTC)


@pytest.mark.parametrize(
    "item",
    [
        None,
        [],
        {},
        {"id": "https://v.vault.azure.net/secrets/x"},
        {"id": "https://v.vault.azure.net/certificates/"},
    ],
)
def test_items_without_a_certificate_id_are_left_out(item: Any) -> None:
    assert parse_item(item) is None


def test_odd_attributes_read_as_unknown_not_as_errors() -> None:
    odd = {
        "id": "https://v.vault.azure.net/certificates/odd",
        "x5t": "***",
        "attributes": {"enabled": True, "nbf": "yesterday", "exp": True},
        "tags": "none",
    }
    listed = parse_item(odd)
    assert listed is not None and listed.name == "odd"
    assert listed.not_before is None and listed.expires_on is None  # planned as unreadable
    assert listed.tags is None and listed.x509_thumbprint is None
    bare = parse_item({"id": "https://v.vault.azure.net/certificates/bare", "attributes": 7})
    assert bare is not None and bare.enabled is None and bare.x509_thumbprint is None
