"""Which ``dns.type``, ``store.type`` and ``notify.type`` names exist, and what each one is.

Found, not listed: every module of this package named ``dns_*``, ``store_*`` or
``notify_*`` declares one ``TYPE`` (a :class:`SettingsType`); an installed
distribution adds its own through the entry point group ``renewer.types``
(each entry names a ``SettingsType`` object). So adding a type is writing its
settings module (and its implementation, named there by a dotted path), and
nothing here changes. Third-party DNS providers of the older, untyped kind
(group ``renewer.dns_providers``) come last (see ``plugin.py``).

Order: a kind's Azure type first (what renewer is for), then by name; types
from entry points after the built-in ones. It is the order of the schema,
the docs' tables and the "installed:" hints.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from functools import cache
from importlib.metadata import entry_points

from renewer.config.types import __path__ as package_path
from renewer.config.types.base import SettingsType
from renewer.config.types.plugin import discover

ENTRY_POINT_GROUP = "renewer.types"
FIRST = frozenset({("dns", "azure"), ("store", "keyvault"), ("notify", "teams")})

log = logging.getLogger(__name__)


@cache
def built_in() -> list[SettingsType]:
    found = []
    for module in pkgutil.iter_modules(package_path):
        if module.name.split("_")[0] in ("dns", "store", "notify") and "_" in module.name:
            found.append(importlib.import_module(f"{__package__}.{module.name}").TYPE)
    return sorted(found, key=lambda t: ((t.kind, t.name) not in FIRST, t.name))


def _installed() -> list[SettingsType]:
    """Types of installed distributions; one that fails to load is a warning, not a stop."""
    found = []
    try:
        points = list(entry_points(group=ENTRY_POINT_GROUP))
    except Exception as exc:  # a broken distribution's metadata must not stop renewer
        log.warning("cannot read %s entry points: %s", ENTRY_POINT_GROUP, exc)
        return []
    for point in points:
        try:
            loaded = point.load()
        except Exception as exc:
            log.warning(
                "%s entry point %s (%s) failed: %s", ENTRY_POINT_GROUP, point.name, point.value, exc
            )
            continue
        if not isinstance(loaded, SettingsType):
            log.warning("%s entry point %s is not a SettingsType", ENTRY_POINT_GROUP, point.name)
            continue
        found.append(loaded)
    return sorted(found, key=lambda t: t.name)


TYPES: dict[str, dict[str, SettingsType]] = {"dns": {}, "store": {}, "notify": {}}
"""Typed sections by kind, then type name; the order is the schema's and the messages' order."""
for _type in built_in() + _installed():  # built-in names win over an installed type's
    TYPES[_type.kind].setdefault(_type.name, _type)
for _name, _plugin in discover().items():
    TYPES["dns"].setdefault(_name, _plugin)

DNS_TYPES = TYPES["dns"]
STORE_TYPES = TYPES["store"]
NOTIFIER_TYPES = TYPES["notify"]
