"""The services that use a certificate from the vault (consumers), as plain data.

Why in core: the config checks a consumer's resource id and derives verify's
``grace`` from the kinds' pick-up times, the planner-free parts of a run
(setup, nudges, doctor) act on the same kinds, and all of them must agree on
one table. The table holds only what Microsoft documents about each service
(sources in ``ConsumerKind.source``); what renewer *does* to a consumer lives
in ``renewer/consumers/`` (one module per kind).

Pick-up times (Microsoft Learn):

* Application Gateway v2 polls Key Vault every 4 hours; "any change to
  Application Gateway ... Resource Tags ... will force a check"
  (application-gateway/key-vault-certs).
* App Service syncs an imported Key Vault certificate within 24 hours;
  importing it again syncs now (app-service/configure-ssl-certificate).
* Front Door Standard/Premium auto-rotates a "Latest" secret "within 3-4 days";
  a secret pinned to a version must be switched, then deploys within 24 hours
  (frontdoor/end-to-end-tls, certificate autorotation). Bring-your-own
  certificates: RSA only (frontdoor/standard-premium/how-to-configure-https-custom-domain).
* Container Apps refreshes a Key Vault certificate within 12 hours
  (container-apps/key-vault-certificates-manage).
* API Management refreshes within 4 hours; ``refreshSecret`` forces it
  (api-management/api-management-howto-mutual-certificates, REST
  Certificate_RefreshSecret).
* The Key Vault VM extension at its ``pollingIntervalInS`` (default 3600 s)
  (virtual-machines/extensions/key-vault-windows, key-vault-linux).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

DEFAULT_POLLING = timedelta(hours=1)
"""The VM extension's default ``pollingIntervalInS`` (3600), the article's value too."""

GRACE_MARGIN = timedelta(hours=2)
"""Added to the slowest consumer's pick-up time: a poll that lands on the boundary
still needs to download, install and rebind before an endpoint serves the new version."""


@dataclass(frozen=True)
class ConsumerKind:
    """What Microsoft documents about one kind of consumer."""

    name: str
    title: str
    types: tuple[str, ...]  # "Provider/type" its resource id must name
    pickup: timedelta | None  # None: the consumer's own polling interval
    source: str  # the Microsoft Learn page the pick-up time comes from
    rsa_only: bool = False
    nudge: str = ""  # what renew does to make it pick up now ("" : nothing documented)


LEARN = "https://learn.microsoft.com/azure/"
KINDS: dict[str, ConsumerKind] = {
    kind.name: kind
    for kind in (
        ConsumerKind(
            "vm-extension",
            "Key Vault VM extension",
            ("Microsoft.Compute/virtualMachines", "Microsoft.Compute/virtualMachineScaleSets"),
            None,
            LEARN + "virtual-machines/extensions/key-vault-windows",
        ),
        ConsumerKind(
            "application-gateway",
            "Application Gateway",
            ("Microsoft.Network/applicationGateways",),
            timedelta(hours=4),
            LEARN + "application-gateway/key-vault-certs",
            nudge="a tag change on the gateway forces a Key Vault check",
        ),
        ConsumerKind(
            "app-service",
            "App Service",
            ("Microsoft.Web/sites",),
            timedelta(hours=24),
            LEARN + "app-service/configure-ssl-certificate",
            nudge="importing the Key Vault certificate again syncs it now",
        ),
        ConsumerKind(
            "front-door",
            "Front Door Standard/Premium",
            ("Microsoft.Cdn/profiles",),
            timedelta(days=4),
            LEARN + "frontdoor/end-to-end-tls",
            rsa_only=True,
            nudge="a secret pinned to a version is pointed at the new version",
        ),
        ConsumerKind(
            "container-apps",
            "Container Apps environment",
            ("Microsoft.App/managedEnvironments",),
            timedelta(hours=12),
            LEARN + "container-apps/key-vault-certificates-manage",
        ),
        ConsumerKind(
            "api-management",
            "API Management",
            ("Microsoft.ApiManagement/service",),
            timedelta(hours=4),
            LEARN + "api-management/api-management-howto-mutual-certificates",
            nudge="refreshSecret makes it fetch the new version now",
        ),
        ConsumerKind("other", "another service", (), None, ""),
    )
}
"""Every kind ``consumers:`` accepts, by name."""


@dataclass(frozen=True)
class ResourceId:
    """An Azure resource id split into the parts renewer needs."""

    subscription: str
    resource_group: str
    provider_type: str  # "Microsoft.Compute/virtualMachines"
    name: str

    def __str__(self) -> str:
        provider, _, kind = self.provider_type.partition("/")
        return (
            f"/subscriptions/{self.subscription}/resourceGroups/{self.resource_group}"
            f"/providers/{provider}/{kind}/{self.name}"
        )

    @property
    def group_id(self) -> str:
        return f"/subscriptions/{self.subscription}/resourceGroups/{self.resource_group}"


def parse_resource_id(text: str) -> ResourceId:
    """A top-level resource id, or ValueError saying what is wrong with it."""
    parts = text.strip().strip("/").split("/")
    if (
        len(parts) != 8
        or parts[0].lower() != "subscriptions"
        or parts[2].lower() != "resourcegroups"
        or parts[4].lower() != "providers"
        or not all(parts)
    ):
        raise ValueError(
            "expected an Azure resource id: /subscriptions/<id>/resourceGroups/<group>"
            "/providers/<Provider>/<type>/<name>"
        )
    return ResourceId(parts[1], parts[3], f"{parts[5]}/{parts[6]}", parts[7])


@dataclass(frozen=True)
class ConsumerSpec:
    """One consumer of one certificate. The short form (``consumers: [front-door]``)
    has only ``kind``: no resource, so nothing to set up, nudge or check."""

    kind: str
    resource: ResourceId | None = None
    nudge: bool = True
    # vm-extension
    os: str = "windows"
    store_name: str = "MY"
    store_location: str = "LocalMachine"
    accounts: tuple[str, ...] = ()
    polling: timedelta = DEFAULT_POLLING
    # application-gateway (SSL certificate name), app-service (certificate resource name),
    # container-apps (environment certificate), api-management (certificate id)
    certificate: str = ""
    hostname: str = ""  # app-service: the host name binding
    secret: str = ""  # front-door: the profile's secret
    pinned: bool = False  # front-door: the secret names a version (useLatestVersion false)

    @property
    def info(self) -> ConsumerKind:
        return KINDS[self.kind]

    @property
    def pickup(self) -> timedelta | None:
        """How long this consumer may take to pick a new version up by itself."""
        return self.polling if self.kind == "vm-extension" else self.info.pickup

    def describe(self) -> str:
        return f"{self.kind} {self.resource.name}" if self.resource else self.kind


def consumer_grace(consumers: tuple[ConsumerSpec, ...]) -> timedelta | None:
    """verify's default grace for these consumers: the slowest pick-up plus a margin."""
    times = [c.pickup for c in consumers if c.pickup is not None]
    return max(times) + GRACE_MARGIN if times else None
