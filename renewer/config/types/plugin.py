"""The hook for third-party DNS providers (entry point group ``renewer.dns_providers``).

renewer cannot type a plugin's settings, so a plugin type keeps its values as
they were validated against the plugin's own field table, in
``PluginSettings.options`` (a hashable mapping: one provider instance per
distinct value still holds). ``registry.dns_type`` consults the plugins after
the built-in types; discovering them is the one place to fill in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from renewer.config.convert import Field
from renewer.config.types.base import BuildContext, SettingsType
from renewer.core.frozen import FrozenMap
from renewer.core.settings import PluginSettings

ENTRY_POINT_GROUP = "renewer.dns_providers"


def _build(values: Mapping[str, Any], ctx: BuildContext) -> PluginSettings:
    return PluginSettings(FrozenMap(values))


def plugin_type(name: str, summary: str, fields: Mapping[str, Field]) -> SettingsType:
    """A DNS type whose settings are the plugin's validated values, untyped."""
    return SettingsType("dns", name, summary, fields, _build)


def discover() -> dict[str, SettingsType]:
    """Installed plugin DNS types by name; none until entry points are read here."""
    return {}
