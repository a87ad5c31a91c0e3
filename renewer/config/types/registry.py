"""Which ``dns.type`` and ``store.type`` names exist, and the module behind each.

Adding a type: write ``renewer/config/types/<kind>_<name>.py`` with a ``TYPE``
(its field table, its frozen settings class, its ``build``), add it to the
tuple below, then teach the factory (``renewer/dns/registry.py`` or
``renewer/stores/registry.py``) to ``match`` its settings class.
"""

from __future__ import annotations

from renewer.config.types import (
    dns_acmedns,
    dns_azure,
    dns_challtestsrv,
    dns_cloudflare,
    dns_exec,
    dns_google,
    dns_powerdns,
    dns_rfc2136,
    dns_route53,
    store_directory,
    store_keyvault,
)
from renewer.config.types.base import SettingsType
from renewer.config.types.plugin import discover

DNS_TYPES: dict[str, SettingsType] = {
    t.name: t
    for t in (
        dns_azure.TYPE,
        dns_rfc2136.TYPE,
        dns_challtestsrv.TYPE,
        dns_powerdns.TYPE,
        dns_route53.TYPE,
        dns_exec.TYPE,
        dns_cloudflare.TYPE,
        dns_acmedns.TYPE,
        dns_google.TYPE,
    )
}
STORE_TYPES: dict[str, SettingsType] = {
    t.name: t for t in (store_keyvault.TYPE, store_directory.TYPE)
}
for _name, _type in discover().items():  # built-in names win over a plugin's
    DNS_TYPES.setdefault(_name, _type)

TYPES: dict[str, dict[str, SettingsType]] = {"dns": DNS_TYPES, "store": STORE_TYPES}
"""Typed sections by kind; the order is the schema's and the messages' order."""
