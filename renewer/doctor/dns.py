"""Doctor checks for DNS: each zone found, TXT write/delete allowed, optionally a real write.

Azure DNS: the zone is looked up as a run would (longest suffix in the
resource group) and the identity's effective ARM actions at the zone are
checked for ``Microsoft.Network/dnsZones/TXT/write`` and ``.../delete``
(Permissions_ListForResource). Other providers have no permission API: only
``--write-test`` proves them. ``--write-test`` writes one random value at
``_renewer-doctor.<zone>`` and removes it again.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from renewer.config.types.dns_azure import AzureDnsSettings
from renewer.core.settings import DnsSettings
from renewer.dns.contract import DnsProvider
from renewer.dns.registry import make_provider
from renewer.doctor.arm import ArmError, ArmReader
from renewer.doctor.model import Check, failed, passed

TXT_ACTIONS = ("Microsoft.Network/dnsZones/TXT/write", "Microsoft.Network/dnsZones/TXT/delete")
PROBE = "_renewer-doctor"


def _zone_of(provider: Any, domain: str) -> str:
    if hasattr(provider, "locate"):
        return str(provider.locate(f"_acme-challenge.{domain}")[0])
    zone = provider.zone if getattr(provider, "zone", None) else None
    return str(zone or domain.removeprefix("*.")).rstrip(".")


def check_dns(
    settings: DnsSettings, domains: Sequence[str], write_test: bool, credential: Any | None
) -> list[Check]:
    area = f"dns {settings.type}"
    try:
        provider: DnsProvider = make_provider(settings)
        area = provider.describe()
    except Exception as exc:
        return [failed(area, "provider cannot be set up", str(exc))]
    zones: list[str] = []
    checks: list[Check] = []
    for domain in domains:
        try:
            zone = _zone_of(provider, domain)
        except Exception as exc:
            checks.append(failed(area, f"no zone for {domain}", str(exc)))
            continue
        if zone not in zones:
            zones.append(zone)
    for zone in zones:
        checks.append(passed(f"{area} zone {zone}", "found"))
        azure_dns = settings.provider if isinstance(settings.provider, AzureDnsSettings) else None
        if azure_dns is not None and credential is not None:
            checks.extend(_arm_permissions(azure_dns, zone, credential, f"{area} zone {zone}"))
        if write_test:
            checks.append(_write_test(provider, zone, f"{area} zone {zone}"))
        elif azure_dns is None:
            checks.append(
                passed(f"{area} zone {zone}", "TXT write not tried (use --write-test to prove it)")
            )
    return checks


def _arm_permissions(
    settings: AzureDnsSettings, zone: str, credential: Any, area: str
) -> list[Check]:
    scope = (
        f"/subscriptions/{settings.subscription_id}/resourceGroups/"
        f"{settings.resource_group}/providers/Microsoft.Network/dnszones/{zone}"
    )
    try:
        granted = ArmReader(settings.azure, credential).permissions(scope)
    except ArmError as exc:
        return [failed(area, f"permissions unreadable (HTTP {exc.status} {exc.code})", exc.message)]
    missing = [a for a in TXT_ACTIONS if not granted.allows(a, data=False)]
    if missing:
        return [
            failed(
                area,
                "TXT write/delete not allowed (missing " + ", ".join(missing) + ")",
                "assign 'DNS Zone Contributor' (or a custom role with "
                "Microsoft.Network/dnsZones/TXT/*) on the zone to this identity",
            )
        ]
    return [passed(area, "TXT write/delete allowed")]


def _write_test(provider: DnsProvider, zone: str, area: str) -> Check:
    fqdn = f"{PROBE}.{zone}."
    value = "renewer-doctor-" + secrets.token_hex(8)
    try:
        provider.present(fqdn, value)
    except Exception as exc:
        return failed(area, f"writing TXT {fqdn} failed", str(exc))
    try:
        provider.cleanup(fqdn, value)
    except Exception as exc:
        return failed(area, f"TXT {fqdn} written but not removed", str(exc))
    return passed(area, f"wrote and removed one TXT value at {fqdn}")
