"""The hook for third-party DNS providers (entry point group ``renewer.dns_providers``).

Any installed distribution can add a ``dns.type``: the entry point's name is
the type, its object a factory called with the provider's ``dns:`` mapping
minus ``type`` and ``propagation``, returning an object with
``present(fqdn, value)`` and ``cleanup(fqdn, value)`` (``describe()``
optional). Discovery reads only the entry points' names, so a broken plugin
cannot stop renewer from starting; its module is imported when a
certificate needs it (``renewer/dns/registry.py``).

renewer cannot know a plugin's keys, so a plugin type is *open*: any key is
accepted with a YAML scalar value, and ``env:NAME`` values are checked like
every secret (the variable must be set at ``validate``) and handed to the
factory resolved, registered for masking. The values stay in
``PluginSettings.options`` (a hashable mapping: one provider instance per
distinct value still holds).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from importlib.metadata import entry_points
from typing import Any

from renewer.config.convert import NUMBER, Context, Field, secret
from renewer.config.types.base import BuildContext, DnsAbout, SettingsType
from renewer.core.frozen import FrozenMap
from renewer.core.settings import PluginSettings

ENTRY_POINT_GROUP = "renewer.dns_providers"

log = logging.getLogger(__name__)

ABOUT = DnsAbout(
    serves=f"any package with a `{ENTRY_POINT_GROUP}` entry point",
    credentials="its own settings",
    writes_through="any installed package",
    safety="the plugin's job",
    tested_against="`examples/dns-plugin` + BIND",
)
"""The plugin row of the docs' provider tables (plugins are not known when they are made)."""


def _value(value: Any, ctx: Context) -> Any:
    """A plugin's scalar as written, except ``env:NAME``, which becomes a SecretRef."""
    if isinstance(value, str) and value.strip().startswith("env:"):
        return secret(value, ctx)
    return value.strip() if isinstance(value, str) else value


PLUGIN_VALUE = Field(
    convert=_value,
    accepts=(*NUMBER, "bool"),
    description="A setting of the third-party provider (env:NAME for secrets).",
)


def plugin_type(name: str, summary: str, fields: Mapping[str, Field]) -> SettingsType:
    """A DNS type whose settings are the plugin's values, untyped and open."""

    def build(values: Mapping[str, Any], ctx: BuildContext) -> PluginSettings:
        return PluginSettings(FrozenMap({k: v for k, v in values.items() if v is not None}), name)

    return SettingsType(
        "dns",
        name,
        summary,
        PluginSettings,
        "renewer.dns.providers.plugin:PluginProvider",
        custom_build=build,
        open_keys=PLUGIN_VALUE,
        fixed_fields=fields,
    )


def discover() -> dict[str, SettingsType]:
    """Installed plugin DNS types by name (entry point names only; nothing is imported)."""
    found: dict[str, SettingsType] = {}
    try:
        points = entry_points(group=ENTRY_POINT_GROUP)
    except Exception as exc:  # a broken distribution's metadata must not stop renewer
        log.warning("cannot read %s entry points: %s", ENTRY_POINT_GROUP, exc)
        return found
    for point in points:
        summary = f"third-party provider ({point.value})"
        found.setdefault(point.name, plugin_type(point.name, summary, {}))
    return found
