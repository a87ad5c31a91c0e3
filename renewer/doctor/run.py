"""The doctor use case: every check the configuration calls for, in a stable order.

Sign-in first (a failed sign-in explains every Azure check after it), then
each vault, each DNS provider with its zones, each CA. One certificate
store, provider or CA is checked once however many certificates share it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from renewer.config.types.dns_azure import AzureDnsSettings
from renewer.config.types.store_keyvault import KeyVaultSettings
from renewer.core.models import CertificateSpec
from renewer.core.settings import AzureSettings, DnsSettings, StoreSettings
from renewer.doctor import ca, dns, foreign, signin, vault
from renewer.doctor.consumers import check_consumers
from renewer.doctor.model import Check, failed
from renewer.stores.registry import open_store


def vault_azure(settings: StoreSettings) -> AzureSettings | None:
    """The Azure settings of a Key Vault store (None for any other store)."""
    backend = settings.backend
    return backend.azure if isinstance(backend, KeyVaultSettings) else None


def dns_azure(settings: DnsSettings) -> AzureSettings | None:
    """The Azure settings of an Azure DNS provider (None for any other provider)."""
    provider = settings.provider
    return provider.azure if isinstance(provider, AzureDnsSettings) else None


def _azure_settings(specs: Sequence[CertificateSpec]) -> list[AzureSettings]:
    found: list[AzureSettings] = []
    for spec in specs:
        for azure in (vault_azure(spec.store), dns_azure(spec.dns)):
            if azure is not None and azure not in found:
                found.append(azure)
    return found


def run_doctor(specs: Sequence[CertificateSpec], *, write_test: bool = False) -> list[Check]:
    checks: list[Check] = []
    credentials: dict[AzureSettings, Any] = {}
    for azure in _azure_settings(specs):
        checks.extend(signin.check_github_claims(azure))
        needs_vault = any(vault_azure(s.store) == azure for s in specs)
        scope = (
            signin.vault_scope(azure) if needs_vault else azure.resolved_arm_endpoint + "/.default"
        )
        check, credential = signin.check_token(azure, scope)
        checks.append(check)
        if credential is not None:
            credentials[azure] = credential

    stores: dict[StoreSettings, list[CertificateSpec]] = {}  # settings are hashable
    for spec in specs:
        stores.setdefault(spec.store, []).append(spec)
    for settings, group in stores.items():
        backend = settings.backend
        if not isinstance(backend, KeyVaultSettings):
            continue
        url = backend.vault_url.rstrip("/")
        azure = backend.azure
        if azure not in credentials:
            continue  # the sign-in line above says why
        try:
            store = open_store(settings)
        except Exception as exc:
            checks.append(failed(f"vault {url}", "cannot be opened", str(exc)))
            continue
        checks.append(vault.check_listing(url, store))
        checks.extend(vault.check_vault_arm(url, azure, credentials[azure], group))
        checks.extend(foreign.check_foreign(url, store, group))

    checks.extend(check_consumers(specs, credentials))  # doctor/consumers.py

    providers: dict[DnsSettings, list[str]] = {}
    for spec in specs:
        domains = providers.setdefault(spec.dns, [])
        domains.extend(d for d in spec.domains if d not in domains)
    for provider, domains in providers.items():
        zone_azure = dns_azure(provider)
        credential = credentials.get(zone_azure) if zone_azure is not None else None
        if zone_azure is not None and credential is None:
            continue  # the sign-in line above says why
        checks.extend(dns.check_dns(provider, domains, write_test, credential))

    cas: dict[str, tuple[Any, list[str]]] = {}
    for issuer in (acme for spec in specs for acme in spec.issuers):  # fallback CAs too
        entry = cas.setdefault(issuer.directory, (issuer, []))
        if issuer.profile and issuer.profile not in entry[1]:
            entry[1].append(issuer.profile)
    for acme, profiles in cas.values():
        checks.extend(ca.check_ca(acme, profiles))
    from renewer.doctor.caa import check_caa  # the ACME and DNS stack, only here

    checks.extend(check_caa(specs))
    return checks
