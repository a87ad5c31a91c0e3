"""DNS type ``azure``: TXT records in Azure DNS zones, through Azure Resource Manager."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from renewer.config.convert import Field, plain
from renewer.config.names import check_resource_group, check_subscription
from renewer.config.types.base import BuildContext, SettingsType
from renewer.core.settings import AzureSettings, ProviderSettings

UUID = r"^\s*[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\s*$"


@dataclass(frozen=True)
class AzureDnsSettings(ProviderSettings):
    subscription_id: str
    resource_group: str
    azure: AzureSettings  # the top-level ``azure`` section: cloud, endpoints, trust
    # Added later and names no TXT record: left out of the journal's identity of the setting.
    manage_caa: bool = field(default=False, metadata={"dns_identity": False})


FIELDS = {
    "subscription_id": Field(
        convert=plain(check_subscription),
        required=True,
        description="Subscription that holds the DNS zones (a UUID).",
        pattern=UUID,
    ),
    "resource_group": Field(
        convert=plain(check_resource_group),
        required=True,
        description=(
            "Resource group that holds the DNS zones: 1 to 90 letters, digits, '_', '-', "
            "'.', '(' or ')', not ending with '.' (Azure's rule)."
        ),
    ),
    "manage_caa": Field(
        accepts=("bool",),
        default=False,
        description=(
            "Write the CAA records that allow this CA, this account and dns-01 at the apex "
            "of each zone renewer issues for, beside the zone's other CAA records (which are "
            "kept). Needs Microsoft.Network/dnsZones/CAA/read and /write."
        ),
    ),
}


def build(values: Mapping[str, Any], ctx: BuildContext) -> AzureDnsSettings:
    return AzureDnsSettings(
        values["subscription_id"], values["resource_group"], ctx.azure, values["manage_caa"]
    )


TYPE = SettingsType("dns", "azure", "Azure DNS", FIELDS, build)
