"""stores.keyvault.current: which version of a listed certificate renewer manages.

A create leaves a disabled version without a thumbprint until its merge; read at
face value it would hide renewer's real certificate.
"""

from __future__ import annotations

from datetime import UTC, datetime

from azure.keyvault.certificates import CertificatePolicy
from rig import KeyVaultStandIn

from renewer.stores.keyvault.current import in_flight, resolve
from renewer.stores.keyvault.listing import ListedCertificate
from renewer.stores.keyvault.policy import MANAGED_BY, MANAGED_VALUE
from tests.unit.stores.keyvault.vault import client, pfx

OURS = {MANAGED_BY: MANAGED_VALUE}
NOW = datetime(2026, 1, 1, tzinfo=UTC)
PENDING = CertificatePolicy(issuer_name="Unknown", subject="CN=web.example.test")
"""A create awaiting its merge (issuer Unknown): the vault holds a placeholder version."""


def listed(enabled: bool | None, thumbprint: bytes | None) -> ListedCertificate:
    return ListedCertificate("web", enabled, thumbprint, NOW, NOW, OURS)


def test_a_disabled_or_unmerged_item_is_in_flight() -> None:
    assert not in_flight(listed(True, b"\x01"))
    assert not in_flight(listed(None, b"\x01"))  # "enabled" absent: usable
    assert in_flight(listed(False, b"\x01"))
    assert in_flight(listed(True, None))
    assert in_flight(listed(True, b""))


def test_a_pending_create_does_not_hide_renewers_merged_version(
    keyvault: KeyVaultStandIn,
) -> None:
    certs = client(keyvault)
    first = certs.import_certificate("pending-web", pfx("web.example.test"), tags=OURS)
    certs.begin_create_certificate("pending-web", PENDING)
    keyvault.vault.placeholder_current = True  # as a real vault lists it (module docstring)
    try:
        current = certs.get_certificate("pending-web").properties
        found = resolve(certs, "pending-web")
    finally:
        keyvault.vault.placeholder_current = False
    assert in_flight(current)  # the create's placeholder is what the vault calls current
    assert found is not None and found.version == first.properties.version


def test_renewers_version_wins_over_a_newer_one_of_someone_else(
    keyvault: KeyVaultStandIn,
) -> None:
    certs = client(keyvault)
    ours = certs.import_certificate("shared-web", pfx("a.example.test"), tags=OURS)
    certs.import_certificate("shared-web", pfx("a.example.test"), tags={"owner": "ops"})
    found = resolve(certs, "shared-web")
    assert found is not None and found.version == ours.properties.version


def test_without_renewers_version_the_newest_usable_one_is_taken(
    keyvault: KeyVaultStandIn,
) -> None:
    certs = client(keyvault)
    certs.import_certificate("theirs-web", pfx("b.example.test"), tags={"owner": "ops"})
    newest = certs.import_certificate("theirs-web", pfx("b.example.test"), tags={"owner": "x"})
    certs.import_certificate("theirs-web", pfx("b.example.test"), enabled=False)
    found = resolve(certs, "theirs-web")
    assert found is not None and found.version == newest.properties.version


def test_nothing_usable_is_none(keyvault: KeyVaultStandIn) -> None:
    certs = client(keyvault)
    certs.begin_create_certificate("only-pending", PENDING)
    assert resolve(certs, "only-pending") is None
