"""stores.keyvault.windows: the CA's renewal window remembered in the current version's tags."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rig import KeyVaultStandIn

from renewer.core import renewal_window
from renewer.core.models import RenewalInfo
from renewer.stores.keyvault.listing import ListedCertificate
from renewer.stores.keyvault.policy import (
    MANAGED_BY,
    MANAGED_VALUE,
    MAX_TAGS,
    TAG_SERIAL,
    TAG_WINDOW,
)
from renewer.stores.keyvault.windows import WindowTags
from tests.unit.factories import spec, stored_for
from tests.unit.stores.keyvault.vault import client, pfx

START = datetime(2026, 12, 1, tzinfo=UTC)
INFO = RenewalInfo(
    start=START,
    end=START + timedelta(days=2),
    checked=START - timedelta(days=20),
    next_check=START - timedelta(days=19),
)


def ours(serial: str, **more: str) -> dict[str, str]:
    return {MANAGED_BY: MANAGED_VALUE, TAG_SERIAL: serial, **more}


def test_the_window_is_written_beside_the_tags_already_there(keyvault: KeyVaultStandIn) -> None:
    certs = client(keyvault)
    made = certs.import_certificate("win-a", pfx("a.example.test"), tags=ours("0a", team="web"))
    stored = stored_for(spec("win-a"), serial="0a")
    assert WindowTags(certs).remember(stored, INFO)
    tags = certs.get_certificate("win-a").properties.tags or {}
    assert tags == ours("0a", team="web", **{TAG_WINDOW: renewal_window.encode(INFO) or ""})
    assert renewal_window.decode(tags[TAG_WINDOW]) == INFO
    assert certs.get_certificate("win-a").properties.version == made.properties.version


def test_a_version_renewed_since_the_listing_is_left_alone(keyvault: KeyVaultStandIn) -> None:
    certs = client(keyvault)
    certs.import_certificate("win-b", pfx("b.example.test"), tags=ours("0b"))
    patches = keyvault.count("PATCH /certificates/{name}", "win-b")
    stored = stored_for(spec("win-b"), serial="older")
    assert not WindowTags(certs).remember(stored, INFO)
    assert keyvault.count("PATCH /certificates/{name}", "win-b") == patches
    assert TAG_WINDOW not in (certs.get_certificate("win-b").properties.tags or {})


def test_a_window_without_check_times_is_not_written(keyvault: KeyVaultStandIn) -> None:
    certs = client(keyvault)
    certs.import_certificate("win-c", pfx("c.example.test"), tags=ours("0c"))
    unchecked = RenewalInfo(start=INFO.start, end=INFO.end)
    assert not WindowTags(certs).remember(stored_for(spec("win-c"), serial="0c"), unchecked)
    assert TAG_WINDOW not in (certs.get_certificate("win-c").properties.tags or {})


def test_a_listed_certificate_with_full_tags_is_not_even_read_again(
    keyvault: KeyVaultStandIn,
) -> None:
    certs = client(keyvault)
    full = ours("0d", **{f"t{n}": "x" for n in range(MAX_TAGS - 2)})
    assert len(full) == MAX_TAGS
    certs.import_certificate("win-d", pfx("d.example.test"), tags=full)
    windows = WindowTags(certs)
    listed = ListedCertificate("win-d", True, b"\x01", START, START, full)
    windows.seen(listed)
    windows.seen(ListedCertificate("win-e", True, b"\x01", START, START, ours("0e")))  # room
    reads = keyvault.count("GET /certificates/{name}", "win-d")
    assert not windows.remember(stored_for(spec("win-d"), serial="0d"), INFO)
    assert keyvault.count("GET /certificates/{name}", "win-d") == reads
