"""DNS-01 providers and the factory that builds the one a spec names."""

from __future__ import annotations

from renewer.core.models import DnsSettings, SecretRef
from renewer.dns.contract import DnsError, DnsProvider
from renewer.dns.providers.challtestsrv import ChallTestSrvProvider
from renewer.dns.providers.rfc2136 import Rfc2136Provider


def make_provider(settings: DnsSettings) -> DnsProvider:
    """Build a provider from validated settings."""
    opts = settings.options
    if settings.type == "rfc2136":
        tsig = opts.get("tsig") or {}
        secret = tsig.get("secret")
        return Rfc2136Provider(
            nameserver=str(opts["nameserver"]),
            tsig_name=tsig.get("name"),
            tsig_secret=secret if isinstance(secret, SecretRef) else None,
            tsig_algorithm=str(tsig.get("algorithm", "hmac-sha256")),
            zone=opts.get("zone"),
        )
    if settings.type == "challtestsrv":
        return ChallTestSrvProvider(str(opts["url"]), settings.propagation.nameservers)
    if settings.type == "azure":
        # Imported here: the Azure SDK is the optional 'azure' extra, and tests patch
        # renewer.azure.signin.azure_credential, which this reads at call time.
        from renewer.azure.signin import azure_credential
        from renewer.core.models import AzureSettings

        try:
            from renewer.dns.providers.azure import AzureDnsProvider
        except ImportError as exc:
            raise DnsError(
                f"Azure DNS needs the Azure SDK ({exc.name} is missing): "
                "reinstall renewer (pip install renewer)"
            ) from None
        azure = opts.get("azure") or AzureSettings()
        return AzureDnsProvider(
            str(opts["subscription_id"]),
            str(opts["resource_group"]),
            azure_credential(azure),
            azure,
        )
    raise DnsError(f"DNS provider {settings.type!r} is not available in this build")


__all__ = ["DnsError", "DnsProvider", "make_provider"]
