"""DNS-01 providers and the factory that builds the one a spec names.

Each provider module is imported by the ``case`` that builds it, so a run loads
the providers its certificates use and no other (a run starts faster).
"""

from __future__ import annotations

from renewer.config.types.dns_acmedns import AcmeDnsSettings
from renewer.config.types.dns_azure import AzureDnsSettings
from renewer.config.types.dns_challtestsrv import ChallTestSrvSettings
from renewer.config.types.dns_cloudflare import CloudflareSettings
from renewer.config.types.dns_exec import ExecSettings
from renewer.config.types.dns_google import GoogleDnsSettings
from renewer.config.types.dns_powerdns import PowerDnsSettings
from renewer.config.types.dns_rfc2136 import Rfc2136Settings
from renewer.config.types.dns_route53 import Route53Settings
from renewer.core.settings import DnsSettings, PluginSettings
from renewer.dns.contract import DnsError, DnsProvider


def make_provider(settings: DnsSettings) -> DnsProvider:
    """Build a provider from validated settings (one ``case`` per settings class)."""
    match settings.provider:
        case Rfc2136Settings(nameserver=nameserver, tsig=tsig, zone=zone):
            from renewer.dns.providers.rfc2136 import Rfc2136Provider

            return Rfc2136Provider(
                nameserver=nameserver,
                tsig_name=tsig.name if tsig else None,
                tsig_secret=tsig.secret if tsig else None,
                tsig_algorithm=tsig.algorithm if tsig else "hmac-sha256",
                zone=zone,
            )
        case ChallTestSrvSettings(url=url):
            from renewer.dns.providers.challtestsrv import ChallTestSrvProvider

            return ChallTestSrvProvider(url, settings.propagation.nameservers)
        case PowerDnsSettings() as pdns:
            from renewer.dns.providers.powerdns import PowerDnsProvider

            return PowerDnsProvider(
                pdns.api_url,
                pdns.api_key,
                server_id=pdns.server_id,
                zone=pdns.zone,
                ca_bundle=pdns.ca_bundle,
            )
        case ExecSettings(program=program, timeout=timeout, env=env):
            from renewer.dns.providers.exec import ExecProvider

            return ExecProvider(program, timeout=timeout, env=env)
        case AcmeDnsSettings() as acme_dns:
            from renewer.dns.providers.acmedns import AcmeDnsProvider

            return AcmeDnsProvider(
                acme_dns.api_url,
                acme_dns.username,
                acme_dns.password,
                acme_dns.subdomain,
                acme_dns.fulldomain,
                ca_bundle=acme_dns.ca_bundle,
            )
        case CloudflareSettings() | GoogleDnsSettings() | Route53Settings() as cloud:
            try:  # each vendor SDK is imported only when a certificate uses it
                return _sdk_provider(cloud)
            except ImportError as exc:
                raise DnsError(
                    f"dns type {settings.type!r} needs the {exc.name} package: "
                    "reinstall renewer (pip install renewer)"
                ) from None
        case AzureDnsSettings() as azure:
            # Imported here so a setup without Azure DNS never loads the ARM SDK; tests
            # patch renewer.azure.signin.azure_credential, which this reads at call time.
            from renewer.azure import signin
            from renewer.dns.providers.azure import AzureDnsProvider

            return AzureDnsProvider(
                azure.subscription_id,
                azure.resource_group,
                signin.azure_credential(azure.azure),
                azure.azure,
                azure.manage_caa,
            )
        case PluginSettings():
            return _plugin(settings.type, settings.provider)
    raise DnsError(f"DNS provider {settings.type!r} is not available in this build")


def _sdk_provider(
    settings: CloudflareSettings | GoogleDnsSettings | Route53Settings,
) -> DnsProvider:
    """The providers built on a vendor SDK (cloudflare, google-auth, boto3)."""
    if isinstance(settings, CloudflareSettings):
        from renewer.dns.providers.cloudflare import CloudflareProvider

        return CloudflareProvider(
            settings.api_token, zone=settings.zone, base_url=settings.base_url
        )
    if isinstance(settings, GoogleDnsSettings):
        from renewer.dns.providers.google import GoogleDnsProvider

        return GoogleDnsProvider(
            settings.project,
            managed_zone=settings.managed_zone,
            endpoint=settings.endpoint,
            credentials_file=settings.credentials_file,
        )
    from renewer.dns.providers.route53 import Route53Provider

    return Route53Provider(
        hosted_zone_id=settings.hosted_zone_id,
        region=settings.region,
        endpoint_url=settings.endpoint_url,
        ca_bundle=settings.ca_bundle,
        insync_timeout=settings.insync_timeout,
    )


def _plugin(name: str, settings: PluginSettings) -> DnsProvider:
    """Third-party providers (entry point group ``renewer.dns_providers``), imported now."""
    from renewer.dns.providers.plugin import PluginProvider

    return PluginProvider(name, settings.options)


__all__ = ["DnsError", "DnsProvider", "make_provider"]
