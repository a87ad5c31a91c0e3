"""Azure's and GitHub's own naming rules for the names renewer writes into scripts.

``renewer azure setup`` and ``renewer init`` write config and command-line values into
a bash script and into workflows that an Owner runs after ``az login`` or that run
with the repository's identities. Quoting keeps a value one shell word; these rules
make sure it is also the kind of name it claims to be, so a value Azure or GitHub
would refuse never reaches a script at all and ``validate`` points at its line.

Sources: Microsoft Learn, "Naming rules and restrictions for Azure resources"
(learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules):
Microsoft.Resources/resourcegroups 1-90 "underscores, hyphens, periods, parentheses,
and letters or digits; can't end with period" (its regex ``^[-\\w._()]+$``, with
Unicode letters); Microsoft.KeyVault/vaults 3-24 "alphanumerics and hyphens; start
with letter; end with letter or digit; can't contain consecutive hyphens";
Microsoft.ManagedIdentity/userAssignedIdentities 3-128 "alphanumerics, hyphens, and
underscores; start with letter or number". Subscription ids are GUIDs. GitHub: a user
or organisation name is "alphanumeric characters or single hyphens, and cannot begin
or end with a hyphen", at most 39 characters (older names may still hold a trailing
or doubled hyphen, so only the character set and length are enforced); a repository
name is at most 100 of ``A-Z a-z 0-9 . _ -`` and never ``.`` or ``..``.

Every pattern is matched with ``fullmatch``: ``$`` would accept a trailing newline.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from renewer.config.domains import check_url, is_loopback_host, normalise_uuid, show
from renewer.core.settings import AZURE_CLOUDS

_RESOURCE_GROUP = re.compile(r"[-\w.()]{1,90}")
_VAULT = re.compile(r"[A-Za-z](?:-?[A-Za-z0-9]){2,23}")  # 3-24, no "--", ends alnum
_IDENTITY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{2,127}")
_LOCATION = re.compile(r"[a-z][a-z0-9]{1,39}")  # westeurope, eastus2, usgovvirginia
_OWNER = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}")
_REPOSITORY = re.compile(r"[A-Za-z0-9._-]{1,100}")
VAULT_SUFFIXES = tuple(sorted({cloud.vault_suffix for cloud in AZURE_CLOUDS.values()}))
"""Key Vault's DNS suffix in every cloud renewer knows (".vault.azure.net", ...)."""


def check_resource_group(text: str) -> str:
    """An Azure resource group name, as Azure accepts it."""
    value = text.strip()
    if not _RESOURCE_GROUP.fullmatch(value) or value.endswith(".") or not value.isprintable():
        raise ValueError(
            f"{show(text)} is not an Azure resource group name: 1 to 90 letters, digits, "
            "'_', '-', '.', '(' or ')', not ending with '.'"
        )
    return value


def check_subscription(text: str) -> str:
    """An Azure subscription id (a GUID), lowercase."""
    return normalise_uuid(text)


def check_identity_name(text: str) -> str:
    """A user-assigned managed identity's name."""
    if not _IDENTITY.fullmatch(text):
        raise ValueError(
            f"{show(text)} is not a managed identity name: 3 to 128 letters, digits, '-' "
            "or '_', starting with a letter or digit"
        )
    return text


def check_location(text: str) -> str:
    """An Azure region's programmatic name (``westeurope``), lowercase."""
    value = text.strip().lower()
    if not _LOCATION.fullmatch(value):
        raise ValueError(
            f"{show(text)} is not an Azure location: its short name, such as westeurope"
        )
    return value


def check_repository(text: str) -> str:
    """A GitHub ``OWNER/REPO``."""
    owner, slash, name = text.strip().partition("/")
    if (
        not slash
        or not _OWNER.fullmatch(owner)
        or not _REPOSITORY.fullmatch(name)
        or name in (".", "..")
    ):
        raise ValueError(f"{show(text)}: expected a GitHub OWNER/REPO")
    return f"{owner}/{name}"


def vault_name(url: str) -> str | None:
    """The vault's name if ``url``'s host is ``<name>`` + a Key Vault suffix, else None."""
    host = (urlsplit(url).hostname or "").lower()
    for suffix in VAULT_SUFFIXES:
        if host.endswith(suffix):
            return host[: -len(suffix)]
    return None


def check_vault_url(text: str) -> str:
    """``https://<vault>.vault.azure.net`` (or another cloud's suffix), or a loopback emulator.

    A vault URL names one vault: no path, and a vault name by Key Vault's rule. Any
    other host is refused: it is not a Key Vault, and its name would reach the setup
    script as a vault to grant roles on.
    """
    value = check_url(text, ("https",))
    parts = urlsplit(value)
    name = vault_name(value)
    if name is None:
        if is_loopback_host(parts.hostname or ""):
            return value  # an emulator or test stand-in on this machine
        raise ValueError(
            f"{show(text)} is not a Key Vault URL: expected https://NAME"
            + " or https://NAME".join(VAULT_SUFFIXES)
            + " (or a loopback emulator)"
        )
    if not _VAULT.fullmatch(name):
        raise ValueError(
            f"{show(text)}: {show(name, 30)} is not a Key Vault name: 3 to 24 letters, digits "
            "and hyphens, starting with a letter, ending with a letter or digit, no '--'"
        )
    if parts.path not in ("", "/"):
        raise ValueError(f"{show(text)}: a vault URL has no path (https://NAME.vault.azure.net)")
    return value


# Consumers (config/consumers.py): the names a consumer entry writes into `azure setup`'s
# script and into ARM URLs. Microsoft Learn, "Naming rules and restrictions for Azure
# resources": child resources such as an App Gateway's SSL certificate, an App Service
# certificate, a Front Door secret, a Container Apps or API Management certificate take
# letters, digits, '_', '.', '-' (and some '()'); virtual machines and sites take fewer.
# One rule that admits each kind's valid names and nothing a shell or URL would read.
_RESOURCE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.()-]{0,259}", re.ASCII)
_PROVIDER = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z][A-Za-z0-9]*)+", re.ASCII)
_TYPE = re.compile(r"[A-Za-z][A-Za-z0-9]{0,63}", re.ASCII)
# A Windows account a VM extension grants the key to: "Network Service", "NT AUTHORITY\\x".
_ACCOUNT = re.compile(r"[\w .\\@$-]{1,256}")
_HOSTNAME = re.compile(
    r"(?:\*\.)?(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}", re.ASCII
)


def check_resource_name(text: str) -> str:
    """A consumer's own resource name (a certificate, a secret): Azure's child-name rule."""
    value = text.strip()
    if not _RESOURCE_NAME.fullmatch(value):
        raise ValueError(
            f"{show(text)} is not an Azure resource name: up to 260 letters, digits, '_', "
            "'.', '-', '(' or ')', starting with a letter, digit or '_'"
        )
    return value


def check_resource_id(text: str) -> str:
    """A top-level Azure resource id whose every segment follows Azure's naming rules."""
    value = text.strip()
    parts = value.strip("/").split("/")
    if (
        not value.startswith("/")
        or len(parts) != 8
        or [parts[0].lower(), parts[2].lower(), parts[4].lower()]
        != ["subscriptions", "resourcegroups", "providers"]
    ):
        raise ValueError(
            f"{show(text)} is not an Azure resource id: /subscriptions/<id>/resourceGroups/"
            "<group>/providers/<Provider>/<type>/<name>"
        )
    check_subscription(parts[1])
    check_resource_group(parts[3])
    if not _PROVIDER.fullmatch(parts[5]) or not _TYPE.fullmatch(parts[6]):
        raise ValueError(f"{show(text)}: {show(parts[5] + '/' + parts[6])} is no resource type")
    check_resource_name(parts[7])
    return value


def check_account(text: str) -> str:
    """A Windows account name (letters, digits, space, '.', '\\', '@', '$', '-')."""
    value = text.strip()
    if not _ACCOUNT.fullmatch(value) or not value.isprintable():
        raise ValueError(f"{show(text)} is not a Windows account name")
    return value


def check_hostname(text: str) -> str:
    """A DNS host name (ASCII; a wildcard label first at most), as App Service binds it."""
    value = text.strip().rstrip(".").lower()
    if not _HOSTNAME.fullmatch(value) or len(value) > 253:
        raise ValueError(f"{show(text)} is not a host name")
    return value
