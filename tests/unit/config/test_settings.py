"""Typed settings: equal settings are one client, and every type is registered once."""

from __future__ import annotations

from pathlib import Path

import pytest

from renewer.config.fields import SECTIONS, TYPED
from renewer.config.types.dns_challtestsrv import ChallTestSrvSettings
from renewer.config.types.registry import TYPES
from renewer.config.types.store_directory import DirectorySettings
from renewer.core.frozen import FrozenMap
from renewer.core.settings import DnsSettings, PluginSettings, StoreSettings
from renewer.dns.contract import DnsError
from renewer.dns.registry import make_provider
from renewer.execute.services import Services
from renewer.stores.registry import StoreRegistry


def test_equal_store_settings_share_one_store(tmp_path: Path) -> None:
    registry = StoreRegistry()
    first = registry.get(StoreSettings("directory", DirectorySettings(tmp_path / "a")))
    again = registry.get(StoreSettings("directory", DirectorySettings(tmp_path / "a")))
    other = registry.get(StoreSettings("directory", DirectorySettings(tmp_path / "b")))
    assert first is again
    assert other is not first


def test_equal_dns_settings_share_one_provider() -> None:
    services = Services()
    url = "http://127.0.0.1:8055"
    first = services.provider(DnsSettings("challtestsrv", ChallTestSrvSettings(url)))
    assert services.provider(DnsSettings("challtestsrv", ChallTestSrvSettings(url))) is first
    other = DnsSettings("challtestsrv", ChallTestSrvSettings("http://127.0.0.1:9"))
    assert services.provider(other) is not first


def test_plugin_settings_are_hashable_and_compare_by_value() -> None:
    one = PluginSettings(FrozenMap({"token": "env:T", "zone": "example.test"}))
    two = PluginSettings(FrozenMap({"zone": "example.test", "token": "env:T"}))
    assert one == two and hash(one) == hash(two)
    assert len({one, two, PluginSettings(FrozenMap({"zone": "x"}))}) == 2
    with pytest.raises(TypeError):
        FrozenMap({"a": "b"})["a"] = "c"  # type: ignore[index]


def test_a_plugin_type_fails_clearly_until_plugins_load() -> None:
    with pytest.raises(DnsError, match="plugin"):
        make_provider(DnsSettings("acme-dns", PluginSettings(FrozenMap({"url": "x"}))))


@pytest.mark.parametrize("kind", sorted(TYPES))
def test_every_registered_type_has_its_table_and_a_build(kind: str) -> None:
    assert TYPED[kind] == tuple(TYPES[kind])
    for name, settings_type in TYPES[kind].items():
        assert settings_type.kind == kind and settings_type.name == name
        assert SECTIONS[f"{kind}.{name}"] == dict(settings_type.fields)
        for section, table in settings_type.section_tables().items():
            assert SECTIONS[section] == table
