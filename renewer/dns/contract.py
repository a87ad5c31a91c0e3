"""The DNS provider contract for DNS-01.

``present`` adds one TXT value at a name and ``cleanup`` removes that one value
only: an apex and its wildcard share ``_acme-challenge.<apex>``, and two
certificates (or two runs) may write the same name at once. Removing the whole
record set would delete a sibling's value (lego's Azure bug).
"""

from __future__ import annotations

import abc
from collections.abc import Iterable

from renewer.core.errors import RenewerError


class DnsError(RenewerError):
    """A DNS provider operation failed; the message names the record and server."""


class DnsProvider(abc.ABC):
    """Adds and removes single TXT values."""

    @abc.abstractmethod
    def describe(self) -> str:
        """Which provider and server, for messages."""

    @abc.abstractmethod
    def present(self, fqdn: str, value: str) -> None:
        """Add ``value`` to the TXT record set at ``fqdn`` (absolute, trailing dot)."""

    @abc.abstractmethod
    def cleanup(self, fqdn: str, value: str) -> None:
        """Remove ``value`` from the TXT set at ``fqdn``, leaving other values alone."""


def holding_zone(name: str, zones: Iterable[str]) -> str | None:
    """The longest of ``zones`` that ``name`` equals or lies under; None if there is none.

    Names are compared as given: pass both absolute (``absolute``) or both bare.
    """
    best: str | None = None
    for zone in zones:
        if (name == zone or name.endswith("." + zone)) and (best is None or len(zone) > len(best)):
            best = zone
    return best


def absolute(name: str) -> str:
    """Normalise a DNS name to lower case with a trailing dot."""
    name = name.lower()
    return name if name.endswith(".") else name + "."
