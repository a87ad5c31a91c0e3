"""``renewer azure setup``: the least-privilege Azure setup, derived from the inventory.

Why from the inventory: certificates.yaml already names every vault and every DNS
subscription/resource group renewer touches, so the roles follow from it and stay exactly
as wide as the file: Key Vault Certificates Officer + Secrets Officer (the ACME account key
and the per-certificate lease are secrets) on each vault, Key Vault Reader on each vault for
the pull-request plan identity, and a custom TXT-only DNS role on each zone of each
resource group whose name is a suffix of an inventory domain (the zone renewer would pick).

The output is an idempotent bash script of `az` commands: identities and federated
credentials are PUTs (create or update), role assignments are created only if missing, the
custom role is created or updated. Every `az` command is written on one line with
``"$VAR"`` arguments only, so tests/integration/test_azure_setup.py can run each through
the real Azure CLI's argument parser. Pure: no I/O here.

Who runs the script holds Owner or User Access Administrator, and the values in it come
from a file any pull request can change: every value is checked by Azure's or GitHub's
naming rule first (config/names.py; ``validate`` already refuses a bad one in the
config with its line), then written as one shell word by :func:`shell_word`, in
comments too, so no value can end a line and start a command of its own.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from renewer.config import names
from renewer.config.domains import normalise_domain
from renewer.config.types.dns_azure import AzureDnsSettings
from renewer.config.types.store_keyvault import KeyVaultSettings
from renewer.core.errors import RenewerError
from renewer.core.models import CertificateSpec

ISSUER = "https://token.actions.githubusercontent.com"
AUDIENCE = "api://AzureADTokenExchange"
DNS_ROLE = "DNS TXT Contributor (renewer)"
DNS_ACTIONS = (
    "Microsoft.Network/dnsZones/read",
    "Microsoft.Network/dnsZones/TXT/read",
    "Microsoft.Network/dnsZones/TXT/write",
    "Microsoft.Network/dnsZones/TXT/delete",
)


CONSUMER_ROLES = [
    "# Consumers of this vault's certificates (Microsoft Learn; docs/azure-setup.md section 6):",
    "#   Key Vault VM extension: the VM's identity, 'Key Vault Secrets User' at the vault",
    "#   Application Gateway v2: its user-assigned identity, 'Key Vault Secrets User'",
    "#   App Service: the 'Microsoft Azure App Service' resource provider",
    "#     (abfa0a7c-a6b6-4736-8310-5855508787cd), 'Key Vault Certificate User'",
    "# Vault-wide secret read also reaches renewer's own secrets here unless the config sets",
    "# store.state_vault_url. For example:",
    '#   az role assignment create --assignee-object-id "$VM_PRINCIPAL_ID"'
    ' --assignee-principal-type ServicePrincipal --role "Key Vault Secrets User"'
    ' --scope "$VAULT_ID"',
]
"""Comment lines after each certificate vault: the one sourced answer for consumer roles."""


@dataclass(frozen=True)
class RepoIds:
    """GitHub's immutable numeric ids of the repository and its owner (REST: GET /repos)."""

    owner_id: int
    repository_id: int


@dataclass(frozen=True)
class DnsScope:
    subscription_id: str
    resource_group: str
    domains: tuple[str, ...]


@dataclass(frozen=True)
class Inventory:
    """What the setup must grant: vault names and DNS resource groups with their domains."""

    vaults: tuple[str, ...]
    dns: tuple[DnsScope, ...]
    # Where renewer keeps its own secrets (account keys, leases): the certificate vaults,
    # or the ``state_vault_url`` vaults of the stores that name one. None: ``vaults``.
    secrets: tuple[str, ...] | None = None

    @property
    def secret_vaults(self) -> tuple[str, ...]:
        return self.vaults if self.secrets is None else self.secrets


class SetupError(RenewerError, ValueError):
    """A value the setup cannot write: not a name Azure or GitHub would accept."""


def inventory(specs: Iterable[CertificateSpec]) -> Inventory:
    """Collect the vaults and the Azure DNS resource groups the certificates use.

    Every name is checked again here (the loader checked it already): this function is
    also called with specs built in code, and what it returns goes into a script.
    """
    vaults: dict[str, None] = {}
    secrets: dict[str, None] = {}
    dns: dict[tuple[str, str], dict[str, None]] = {}
    for spec in specs:
        try:
            if isinstance(spec.store.backend, KeyVaultSettings):
                url = names.check_vault_url(spec.store.backend.vault_url)
                vault = names.vault_name(url)
                if vault is None:
                    raise SetupError(
                        f"{url} is an emulator, not an Azure Key Vault: nothing to set up"
                    )
                vaults[vault] = None
                state_url = spec.store.backend.state_vault_url
                state = names.vault_name(names.check_vault_url(state_url)) if state_url else vault
                secrets[state or vault] = None
            provider = spec.dns.provider
            if isinstance(provider, AzureDnsSettings) and spec.challenge != "dns-persist-01":
                key = (
                    names.check_subscription(provider.subscription_id),
                    names.check_resource_group(provider.resource_group),
                )
                for domain in spec.domains:
                    dns.setdefault(key, {})[normalise_domain(domain).removeprefix("*.")] = None
        except ValueError as error:
            raise SetupError(f"certificate {spec.name}: {error}") from None
    return Inventory(
        tuple(sorted(vaults)),
        tuple(DnsScope(sub, rg, tuple(sorted(names))) for (sub, rg), names in sorted(dns.items())),
        tuple(sorted(secrets)),
    )


def subjects(suffix: str) -> list[tuple[str, str]]:
    """(credential name suffix, subject) in both GitHub forms, as double-quoted shell words.

    By name, ``repo:OWNER/NAME:<suffix>``, and immutable, ``repo:OWNER@OWNER_ID/NAME@REPO_ID:
    <suffix>`` (GitHub's default subject for repositories with immutable subject claims;
    the ids are the script's $OWNER_ID and $REPO_ID).
    """
    return [
        ("", f'"repo:${{REPO}}:{suffix}"'),
        ("-immutable", f'"repo:${{REPO%%/*}}@${{OWNER_ID}}/${{REPO#*/}}@${{REPO_ID}}:{suffix}"'),
    ]


def shell_word(value: str) -> str:
    """``value`` as one bash word that can never span two lines.

    shlex.quote if every character is printable; otherwise bash's ``$'...'`` quoting
    with each unprintable character written as an escape: a newline, CR, NUL, and the
    characters editors show as line breaks (U+0085, U+2028, U+2029) stay inside the
    word, and invisible characters stay visible to the person who reads the script.
    """
    if value.isprintable():
        return shlex.quote(value)
    out = []
    for char in value:
        if char in ("\\", "'"):
            out.append("\\" + char)
        elif char.isprintable():
            out.append(char)
        else:  # its UTF-8 bytes: bash's \u would depend on the locale the script runs in
            out.extend(f"\\x{byte:02x}" for byte in char.encode("utf-8", "surrogatepass"))
    return "$'" + "".join(out) + "'"


_q = shell_word


def check_parameters(
    repo: str, subscription: str, resource_group: str, location: str
) -> tuple[str, str, str, str]:
    """The command-line values, each by its owner's naming rule; SetupError if one fails."""
    checks = (
        ("--repo", names.check_repository, repo),
        ("--subscription", names.check_subscription, subscription),
        ("--resource-group", names.check_resource_group, resource_group),
        ("--location", names.check_location, location),
    )
    found = []
    for option, check, value in checks:
        try:
            found.append(check(value))
        except ValueError as error:
            raise SetupError(f"{option}: {error}") from None
    return found[0], found[1], found[2], found[3]


def _assign(principal: str, role: str, scope: str) -> list[str]:
    """An idempotent role assignment: create it only if it is not there yet."""
    check = (
        f'az role assignment list --assignee "{principal}" --role {_q(role)} --scope "{scope}"'
        ' --query "[0].id" --output tsv'
    )
    create = (
        f'az role assignment create --assignee-object-id "{principal}"'
        f' --assignee-principal-type ServicePrincipal --role {_q(role)} --scope "{scope}"'
        " --output none"
    )
    return [f'if [ -z "$({check})" ]; then', f"  {create}", "fi"]


def _identity(name: str, var: str, credentials: Sequence[tuple[str, str]]) -> list[str]:
    name = _q(names.check_identity_name(name))
    lines = [
        f"# -- identity {name} " + "-" * (60 - len(name)),
        f'az identity create --subscription "$SUBSCRIPTION" --resource-group "$RESOURCE_GROUP"'
        f' --name {name} --location "$LOCATION" --output none',
        f'{var}=$(az identity show --subscription "$SUBSCRIPTION" --resource-group'
        f' "$RESOURCE_GROUP" --name {name} --query principalId --output tsv)',
        f'{var.replace("PRINCIPAL", "CLIENT")}=$(az identity show --subscription "$SUBSCRIPTION"'
        f' --resource-group "$RESOURCE_GROUP" --name {name} --query clientId --output tsv)',
    ]
    for cred_name, subject in credentials:
        lines.append(
            f'az identity federated-credential create --subscription "$SUBSCRIPTION"'
            f' --resource-group "$RESOURCE_GROUP" --identity-name {name} --name {cred_name}'
            f' --issuer "$ISSUER" --subject {subject} --audiences "$AUDIENCE" --output none'
        )
    return lines


def az_script(
    inv: Inventory,
    repo: str,
    ids: RepoIds | None,
    *,
    subscription: str,
    resource_group: str,
    location: str,
    consumers: Sequence[str] = (),
) -> str:
    """The whole setup as an idempotent bash script (``set -euo pipefail``).

    ``consumers``: the consumers' section (scaffold/consumer_setup.py), after the roles.
    """
    repo, subscription, resource_group, location = check_parameters(
        repo, subscription, resource_group, location
    )
    main = [(f"github-main{tag}", subject) for tag, subject in subjects("ref:refs/heads/main")]
    plan = [(f"github-pr{tag}", subject) for tag, subject in subjects("pull_request")]
    out = [
        "#!/usr/bin/env bash",
        "# Generated by `renewer azure setup` from certificates.yaml: the least-privilege",
        "# Azure setup for renewer. Idempotent: run it again after the inventory changes.",
        "# Run as someone who may create identities and assign roles (Owner or User Access",
        "# Administrator on the scopes below), after `az login`.",
        "set -euo pipefail -o noglob  # no value is ever a file pattern",
        "",
        f"REPO={_q(repo)}",
        f"SUBSCRIPTION={_q(subscription)}        # where the identities live",
        f"RESOURCE_GROUP={_q(resource_group)}",
        f"LOCATION={_q(location)}",
        f"ISSUER={_q(ISSUER)}",
        f"AUDIENCE={_q(AUDIENCE)}",
        "",
    ]
    if ids is None:
        out += [
            "# The repository's immutable numeric ids, for the immutable GitHub subjects: set",
            "# GITHUB_TOKEN and run `renewer azure setup` again, or fill them in from",
            '# `gh api "repos/$REPO" --jq ".owner.id, .id"`.',
            "OWNER_ID=''",
            "REPO_ID=''",
        ]
    else:
        out += [f"OWNER_ID={ids.owner_id}", f"REPO_ID={ids.repository_id}"]
    out += [
        'if [ -z "$OWNER_ID" ] || [ -z "$REPO_ID" ]; then',
        '  echo "set OWNER_ID and REPO_ID first (see above)" >&2; exit 2',
        "fi",
        "",
    ]
    out += [
        'az group create --subscription "$SUBSCRIPTION" --name "$RESOURCE_GROUP"'
        ' --location "$LOCATION" --output none',
        "",
        *_identity("renewer", "PRINCIPAL_ID", main),
        "",
        *_identity("renewer-plan", "PLAN_PRINCIPAL_ID", plan),
    ]
    for vault in sorted({*inv.vaults, *inv.secret_vaults}):
        holds = " and ".join(
            what
            for what, yes in (
                ("certificates", vault in inv.vaults),
                ("renewer's own secrets", vault in inv.secret_vaults),
            )
            if yes
        )
        out += [
            "",
            f"# -- vault {_q(vault)}: {holds}; read-only for plans",
            f"VAULT_ID=$(az keyvault show --name {_q(vault)} --query id --output tsv)",
        ]
        if vault in inv.vaults:
            out += _assign("$PRINCIPAL_ID", "Key Vault Certificates Officer", "$VAULT_ID")
        if vault in inv.secret_vaults:
            out += _assign("$PRINCIPAL_ID", "Key Vault Secrets Officer", "$VAULT_ID")
        out += _assign("$PLAN_PRINCIPAL_ID", "Key Vault Reader", "$VAULT_ID")
        if vault in inv.vaults:
            out += CONSUMER_ROLES
    if inv.dns:
        scopes = [
            f"/subscriptions/{d.subscription_id}/resourceGroups/{d.resource_group}" for d in inv.dns
        ]
        role = {
            "Name": DNS_ROLE,
            "Description": "Read zones; create, update, delete TXT record sets (ACME DNS-01).",
            "Actions": list(DNS_ACTIONS),
            "AssignableScopes": scopes,
        }
        out += [
            "",
            "# -- DNS: a TXT-only custom role, on each zone the inventory's domains fall in",
            f"ROLE={_q(json.dumps(role))}",
            f'if [ -z "$(az role definition list --name {_q(DNS_ROLE)} --query "[0].id"'
            ' --output tsv)" ]; then',
            '  az role definition create --role-definition "$ROLE" --output none',
            "else",
            '  az role definition update --role-definition "$ROLE" --output none',
            "fi",
        ]
        for scope in inv.dns:
            domains = " ".join(_q(domain) for domain in scope.domains)
            out += [
                "",
                f"# subscription {_q(scope.subscription_id)},"
                f" resource group {_q(scope.resource_group)}",
                f"DOMAINS=({domains})",
                f"for ZONE in $(az network dns zone list --subscription {_q(scope.subscription_id)}"
                f' --resource-group {_q(scope.resource_group)} --query "[].name" --output tsv);'
                " do",
                '  for DOMAIN in "${DOMAINS[@]}"; do',
                '    case "$DOMAIN" in "$ZONE" | *."$ZONE")',
                f"      ZONE_ID=$(az network dns zone show --subscription"
                f" {_q(scope.subscription_id)} --resource-group {_q(scope.resource_group)}"
                ' --name "$ZONE" --query id --output tsv)',
                *("      " + line for line in _assign("$PRINCIPAL_ID", DNS_ROLE, "$ZONE_ID")),
                "      break ;;",
                "    esac",
                "  done",
                "done",
            ]
    out += [
        *consumers,
        "",
        "TENANT_ID=$(az account show --query tenantId --output tsv)",
        'echo "Repository variables (Settings > Secrets and variables > Actions > Variables):"',
        'echo "  AZURE_TENANT_ID=$TENANT_ID"',
        'echo "  AZURE_CLIENT_ID=$CLIENT_ID"',
        'echo "  AZURE_PLAN_CLIENT_ID=$PLAN_CLIENT_ID"',
    ]
    return "\n".join(out) + "\n"
