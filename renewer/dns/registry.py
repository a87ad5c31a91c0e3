"""The factory that builds the DNS provider a spec names.

Each type declares the dotted path of its provider beside its settings
(``renewer/config/types/dns_<name>.py``); the provider takes those settings.
The module is imported the first time a certificate uses the type, so a run
loads the providers its certificates use and no other (and a vendor SDK
only when its provider is used).
"""

from __future__ import annotations

from renewer.config.types.registry import DNS_TYPES
from renewer.core import dotted
from renewer.core.settings import DnsSettings
from renewer.dns.contract import DnsError, DnsProvider


def make_provider(settings: DnsSettings) -> DnsProvider:
    """Build a provider from validated settings, by the factory its type names."""
    declared = DNS_TYPES.get(settings.type)
    if declared is None or not isinstance(settings.provider, declared.settings):
        raise DnsError(
            f"DNS provider {settings.type!r} is not available in this build "
            "(neither built in nor an installed plugin)"
        )
    try:
        factory = dotted.load(declared.factory)
    except ImportError as exc:  # a vendor SDK left out of the install
        raise DnsError(
            f"dns type {settings.type!r} needs the {exc.name} package: "
            "reinstall renewer (pip install renewer)"
        ) from None
    made: DnsProvider = factory(settings.provider)
    return made


__all__ = ["DnsError", "DnsProvider", "make_provider"]
