"""What the services that use a certificate accept, checked at ``validate``
(a key type Front Door refuses is found before the renewal, not after).

A certificate may say who consumes it (``consumers: [front-door, ...]``); a key
type a consumer cannot load is a warning before any certificate is issued
(nothing fails: the vault would hold a certificate the consumer rejects, and
nobody would notice until it is bound). Sources: Microsoft Learn, "Configure
HTTPS on an Azure Front Door custom domain" (bring-your-own certificates:
RSA keys only, no EC; the "Latest" version is picked up within 24 hours).
"""

from __future__ import annotations

from collections.abc import Iterable

from renewer.core.models import HSM_SUFFIX, CertificateSpec

CONSUMERS = ("front-door", "application-gateway", "app-service", "vm-extension", "other")
"""The values ``consumers:`` accepts (config/lifecycle.py checks them as an enum)."""


def consumer_warnings(specs: Iterable[CertificateSpec]) -> list[str]:
    """One line per certificate whose key type a named consumer cannot use."""
    found = []
    for spec in specs:
        base = spec.key.removesuffix(HSM_SUFFIX)
        if "front-door" in spec.consumers and base.startswith("ec-"):
            found.append(
                f"certificate {spec.name}: Front Door does not accept EC keys ({spec.key}); "
                "set key: rsa-2048 (or larger) for it"
            )
    return found
