"""DNS type ``azure``: TXT records in Azure DNS zones, through Azure Resource Manager."""

from __future__ import annotations

from renewer.config.convert import plain
from renewer.config.names import check_resource_group, check_subscription
from renewer.config.types.base import DnsAbout, SettingsType, setting, settings
from renewer.core.settings import AzureSettings, ProviderSettings

UUID = r"^\s*[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\s*$"


@settings
class AzureDnsSettings(ProviderSettings):
    subscription_id: str = setting(
        convert=plain(check_subscription),
        description="Subscription that holds the DNS zones (a UUID).",
        pattern=UUID,
    )
    resource_group: str = setting(
        convert=plain(check_resource_group),
        description=(
            "Resource group that holds the DNS zones: 1 to 90 letters, digits, '_', '-', "
            "'.', '(' or ')', not ending with '.' (Azure's rule)."
        ),
    )
    azure: AzureSettings  # the top-level ``azure`` section: cloud, endpoints, trust
    manage_caa: bool = setting(  # added later and names no TXT record: not in the journal's name
        default=False,
        identity=False,
        accepts=("bool",),
        description=(
            "Write the CAA records that allow this CA, this account and dns-01 at the apex "
            "of each zone renewer issues for, beside the zone's other CAA records (which are "
            "kept). Needs Microsoft.Network/dnsZones/CAA/read and /write."
        ),
    )


TYPE = SettingsType(
    "dns",
    "azure",
    "Azure DNS",
    AzureDnsSettings,
    "renewer.dns.providers.azure:AzureDnsProvider",
    about=DnsAbout(
        serves="Azure DNS",
        credentials="Azure sign-in (GitHub OIDC federated credential)",
        writes_through="Azure Resource Manager (azure-mgmt-dns)",
        safety="ETag / `If-Match` on every write",
        tested_against="ARM stand-in + BIND",
    ),
)
