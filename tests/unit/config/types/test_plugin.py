"""config.types.plugin: third-party DNS types found by entry point name, their keys open."""

from __future__ import annotations

import logging
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import pytest

from renewer.config.convert import Context
from renewer.config.types import plugin
from renewer.config.types.base import BuildContext
from renewer.core.settings import PluginSettings, SecretRef


def test_discovery_reads_names_only_and_never_imports_the_plugin(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    points = [
        EntryPoint("bunny", "no_such_module_anywhere:factory", plugin.ENTRY_POINT_GROUP),
        EntryPoint("bunny", "second.of:same_name", plugin.ENTRY_POINT_GROUP),
    ]
    seen: list[str] = []

    def fake(group: str) -> list[EntryPoint]:
        seen.append(group)
        return points

    monkeypatch.setattr(plugin, "entry_points", fake)
    found = plugin.discover()
    assert seen == ["renewer.dns_providers"]
    assert list(found) == ["bunny"]  # the first of a name wins
    bunny = found["bunny"]
    assert (bunny.kind, bunny.name) == ("dns", "bunny")
    assert bunny.summary == "third-party provider (no_such_module_anywhere:factory)"
    assert bunny.open_keys is plugin.PLUGIN_VALUE


def test_broken_metadata_is_a_warning_not_a_crash(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(group: str) -> Any:
        raise RuntimeError("bad METADATA")

    monkeypatch.setattr(plugin, "entry_points", broken)
    with caplog.at_level(logging.WARNING, logger=plugin.__name__):
        assert plugin.discover() == {}
    assert "bad METADATA" in caplog.text


def test_an_env_reference_becomes_a_secret_and_other_values_stay_as_written() -> None:
    convert = plugin.PLUGIN_VALUE.convert
    assert convert is not None
    ctx = Context(Path("/cfg"), {"BUNNY_KEY": "s3cret"})
    assert convert(" env:BUNNY_KEY ", ctx) == SecretRef("BUNNY_KEY")
    assert convert("  zone.test ", ctx) == "zone.test"
    assert convert(30, ctx) == 30
    with pytest.raises(ValueError, match="not set"):
        convert("env:MISSING", ctx)
    with pytest.raises(ValueError, match="credential of the runner"):
        convert("env:GITHUB_TOKEN", Context(Path("/cfg"), {"GITHUB_TOKEN": "x"}))


def test_the_built_settings_keep_only_values_given_and_are_hashable() -> None:
    kind = plugin.plugin_type("bunny", "a test plugin", {})
    built = kind.build({"zone": "z.test", "ttl": 60, "unset": None}, BuildContext())
    assert isinstance(built, PluginSettings)
    assert dict(built.options) == {"zone": "z.test", "ttl": 60}
    again = kind.build({"ttl": 60, "zone": "z.test"}, BuildContext())
    assert hash(built) == hash(again) and built == again  # one provider per distinct value
