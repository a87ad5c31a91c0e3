"""The doctor use case: every check the configuration calls for, in a stable order.

Sign-in first (a failed sign-in explains every Azure check after it), then
each vault, each DNS provider with its zones, each CA. One certificate
store, provider or CA is checked once however many certificates share it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from renewer.core.models import AzureSettings, CertificateSpec
from renewer.doctor import ca, dns, signin, vault
from renewer.doctor.model import Check, failed
from renewer.stores.registry import open_store


def _azure_settings(specs: Sequence[CertificateSpec]) -> list[AzureSettings]:
    found: list[AzureSettings] = []
    for spec in specs:
        for options in (spec.store.options, spec.dns.options):
            azure = options.get("azure")
            if isinstance(azure, AzureSettings) and azure not in found:
                found.append(azure)
    return found


def run_doctor(specs: Sequence[CertificateSpec], *, write_test: bool = False) -> list[Check]:
    checks: list[Check] = []
    credentials: dict[AzureSettings, Any] = {}
    for azure in _azure_settings(specs):
        checks.extend(signin.check_github_claims(azure))
        needs_vault = any(s.store.options.get("azure") == azure for s in specs)
        scope = (
            signin.vault_scope(azure) if needs_vault else azure.resolved_arm_endpoint + "/.default"
        )
        check, credential = signin.check_token(azure, scope)
        checks.append(check)
        if credential is not None:
            credentials[azure] = credential

    stores: dict[str, list[CertificateSpec]] = {}
    for spec in specs:
        stores.setdefault(spec.store.identity(), []).append(spec)
    for group in stores.values():
        settings = group[0].store
        if settings.type != "keyvault":
            continue
        url = str(settings.options["vault_url"]).rstrip("/")
        azure = settings.options.get("azure") or AzureSettings()
        if azure not in credentials:
            continue  # the sign-in line above says why
        try:
            store = open_store(settings)
        except Exception as exc:
            checks.append(failed(f"vault {url}", "cannot be opened", str(exc)))
            continue
        checks.append(vault.check_listing(url, store))
        checks.extend(vault.check_vault_arm(url, azure, credentials[azure], group))

    providers: dict[str, tuple[Any, list[str]]] = {}
    for spec in specs:
        key = repr((spec.dns.type, sorted(spec.dns.options.items(), key=lambda kv: kv[0])))
        entry = providers.setdefault(key, (spec.dns, []))
        entry[1].extend(d for d in spec.domains if d not in entry[1])
    for settings, domains in providers.values():
        azure = settings.options.get("azure")
        credential = credentials.get(azure) if isinstance(azure, AzureSettings) else None
        if settings.type == "azure" and credential is None:
            continue
        checks.extend(dns.check_dns(settings, domains, write_test, credential))

    cas: dict[str, tuple[Any, list[str]]] = {}
    for spec in specs:
        entry = cas.setdefault(spec.acme.directory, (spec.acme, []))
        if spec.acme.profile and spec.acme.profile not in entry[1]:
            entry[1].append(spec.acme.profile)
    for acme, profiles in cas.values():
        checks.extend(ca.check_ca(acme, profiles))
    return checks
