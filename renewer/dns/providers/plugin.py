"""A third-party DNS provider (entry point group ``renewer.dns_providers``) behind the contract.

The plugin's object only has to offer ``present`` and ``cleanup`` (and may
offer ``describe``); this adapter gives it the rest of ``DnsProvider``:
a name for messages, and one readable line instead of whatever the plugin
raised, so one plugin's failure fails its certificates like any provider's.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

from renewer.config.types.plugin import ENTRY_POINT_GROUP
from renewer.core.errors import RenewerError, describe_error
from renewer.core.settings import PluginSettings, SecretRef
from renewer.dns.contract import DnsError, DnsProvider, absolute


def load_factory(name: str) -> Callable[[dict[str, Any]], Any]:
    """Import the factory the entry point ``name`` names (DnsError if it cannot)."""
    points = [p for p in entry_points(group=ENTRY_POINT_GROUP) if p.name == name]
    if not points:
        raise DnsError(f"DNS plugin {name!r} is no longer installed (pip install it again)")
    try:
        factory = points[0].load()
    except Exception as exc:
        raise DnsError(
            f"DNS plugin {name!r} ({points[0].value}) cannot be imported: {describe_error(exc)}"
        ) from None
    if not callable(factory):
        raise DnsError(f"DNS plugin {name!r}: {points[0].value} is not callable")
    return factory  # type: ignore[no-any-return]


class PluginProvider(DnsProvider):
    """Wraps the object a plugin's factory returned."""

    def __init__(self, settings: PluginSettings) -> None:
        self.name = name = settings.name
        factory = load_factory(name)
        # Secrets are resolved only now, and registered for masking by resolve().
        resolved = {
            k: v.resolve() if isinstance(v, SecretRef) else v for k, v in settings.options.items()
        }
        try:
            self.inner = factory(resolved)
        except RenewerError:
            raise
        except Exception as exc:
            raise DnsError(
                f"DNS plugin {name!r} rejected its settings: {describe_error(exc)}"
            ) from None
        missing = [m for m in ("present", "cleanup") if not callable(getattr(self.inner, m, None))]
        if missing:
            raise DnsError(
                f"DNS plugin {name!r}: its factory returned an object without {', '.join(missing)}"
            )

    def describe(self) -> str:
        describe = getattr(self.inner, "describe", None)
        try:
            detail = str(describe()) if callable(describe) else ""
        except Exception:  # a name for messages must never fail
            detail = ""
        return f"{self.name} (plugin)" + (f": {detail}" if detail else "")

    def present(self, fqdn: str, value: str) -> None:
        self._call("present", absolute(fqdn), value)

    def cleanup(self, fqdn: str, value: str) -> None:
        self._call("cleanup", absolute(fqdn), value)

    def _call(self, method: str, fqdn: str, value: str) -> None:
        try:
            getattr(self.inner, method)(fqdn, value)
        except RenewerError:
            raise
        except Exception as exc:
            raise DnsError(
                f"{self.describe()}: {method} TXT at {fqdn} failed: {describe_error(exc)}"
            ) from None
