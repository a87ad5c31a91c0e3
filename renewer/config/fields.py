"""What certificates.yaml may contain, as data.

SECTIONS holds one table of fields per section. Nothing hard-codes a key
list elsewhere: unknown-key suggestions, required keys, enums and the JSON
Schema sync test all read these tables; ``config_nodes.Checker`` applies
them. Converters turn a type-checked scalar into what the models want, or
raise ValueError with a message that never repeats a secret.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from renewer.config.consumers import check_consumer
from renewer.config.directories import resolve_directory
from renewer.config.domains import (
    check_certificate_name,
    check_url,
    normalise_domain,
    normalise_email,
    normalise_uuid,
    normalise_zone,
    parse_host_port,
)
from renewer.config.durations import parse_positive_duration
from renewer.core.models import HSM_SUFFIX, KEY_TYPES, SecretRef


@dataclass(frozen=True)
class Context:
    """What converters may consult: the config's folder and the environment."""

    base_dir: Path
    environ: Mapping[str, str]


Converter = Callable[[Any, Context], Any]


@dataclass(frozen=True)
class Field:
    """One key of a section. ``accepts``: the YAML scalar kinds allowed.

    shape: "scalar", "list" (of scalars), "section" (nested table), "override"
    (partial section merged onto the top level), "sections" (list of tables), "map".
    """

    shape: str = "scalar"
    convert: Converter | None = None
    accepts: tuple[str, ...] = ("str",)
    required: bool = False
    default: Any = None
    enum: tuple[str, ...] = ()
    section: str = ""
    min_items: int = 0
    max_items: int = 0
    unique: bool = False
    secret: bool = False  # never echo the value, nor unknown keys next to it


def _plain(function: Callable[[str], Any]) -> Converter:
    """Adapt a context-free check (most of them) to the converter signature."""
    return lambda value, ctx: function(value)


def _text(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value.strip()


def _secret(value: object, ctx: Context) -> SecretRef:
    """Secrets live in the environment; a literal would end up in git history."""
    if not isinstance(value, str) or not value.strip().startswith("env:"):
        raise ValueError("must be an env:NAME reference, not a literal secret")
    name = value.strip()[len("env:") :]
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ValueError("env: must be followed by an environment variable name")
    if name not in ctx.environ:
        raise ValueError(f"environment variable {name} is not set")
    return SecretRef(name)


def _path(value: str, ctx: Context) -> Path:
    """Relative paths are relative to the config file, not to the working directory."""
    if "\0" in _text(value):
        raise ValueError("a path must not contain NUL characters")
    return Path(os.path.normpath(ctx.base_dir / value.strip()))


def _existing_file(value: str, ctx: Context) -> Path:
    path = _path(value, ctx)
    shown = repr(str(path) if len(str(path)) <= 80 else "..." + str(path)[-77:])
    try:
        found = path.is_file()
    except OSError as exc:  # name too long, permission denied, ...
        raise ValueError(f"file {shown} cannot be checked: {exc.strerror}") from None
    if not found:
        raise ValueError(f"file {shown} does not exist")
    return path


STORE_TYPES = ("keyvault", "directory")
DNS_TYPES = ("azure", "rfc2136", "challtestsrv")
ALL_KEY_TYPES = KEY_TYPES + tuple(key + HSM_SUFFIX for key in KEY_TYPES)
DEFAULT_KEY = "ec-p256"
AZURE_CLOUDS = {
    "AzurePublicCloud": "public",
    "AzureUSGovernment": "usgov",
    "AzureChinaCloud": "china",
}
"""Config names (as the Azure CLI spells them) -> models.AZURE_CLOUDS keys."""
MAX_TAG_LENGTH = 256

NUMBER = ("str", "int", "float")
_STR = Field(convert=_plain(_text))
_FILE = Field(convert=_existing_file)
_SECRET = Field(convert=_secret, required=True, secret=True, accepts=(*NUMBER, "bool"))
_DURATION = Field(convert=_plain(parse_positive_duration), accepts=NUMBER)
_SECONDS = _plain(lambda value: parse_positive_duration(value).total_seconds())
CHALLENGES = ("dns-01", "dns-persist-01", "auto")
DEFAULT_CHALLENGE = "dns-01"


def _persist_until(value: Any, ctx: Context) -> datetime | timedelta:
    """A date (2027-06-30, or an ISO date-time) or a duration from the time of ``persist``."""
    text = str(value).strip()
    try:
        return parse_positive_duration(value if isinstance(value, int | float) else text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"expected a date (2027-06-30) or a duration (365d), got {text[:40]!r}"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


_PERSIST_UNTIL = Field(convert=_persist_until, accepts=(*NUMBER, "timestamp"))

SECTIONS: dict[str, dict[str, Field]] = {
    "top": {
        "acme": Field("section", section="acme", required=True),
        "store": Field("section", section="store", required=True),
        "dns": Field("section", section="dns", required=True),
        "defaults": Field("section", section="defaults"),
        "report": Field("section", section="report"),
        "azure": Field("section", section="azure"),
        "certificates": Field("sections", section="certificate", required=True, min_items=1),
    },
    "acme": {
        "directory": Field(convert=_plain(resolve_directory), required=True),
        "contact": Field("list", convert=_plain(normalise_email), default=(), unique=True),
        "profile": _STR,
        "eab": Field("section", section="eab", secret=True),
        "ca_bundle": _FILE,
        "preferred_chain": _STR,
    },
    "eab": {"kid": _SECRET, "hmac_key": _SECRET},
    "store": {"type": Field(required=True, enum=STORE_TYPES)},
    "store.directory": {"path": Field(convert=_path, default=".local/certs")},
    "store.keyvault": {
        "vault_url": Field(convert=_plain(lambda v: check_url(v, ("https",))), required=True),
        "key_mode": Field(enum=("csr", "import"), default="csr"),
        "exportable": Field(accepts=("bool",), default=True),
        "content_type": Field(enum=("pkcs12", "pem"), default="pkcs12"),
        "ca_bundle": _FILE,
        # issue 11 (azure): what to do when a certificate's name is soft-deleted
        "on_soft_deleted": Field(enum=("recover", "fail"), default="recover"),
    },
    "dns": {
        "type": Field(required=True, enum=DNS_TYPES),
        "propagation": Field("section", section="propagation"),
    },
    "dns.azure": {
        "subscription_id": Field(convert=_plain(normalise_uuid), required=True),
        "resource_group": Field(convert=_plain(_text), required=True),
    },
    "dns.rfc2136": {
        "nameserver": Field(convert=_plain(parse_host_port), required=True),
        "tsig": Field("section", section="tsig", secret=True),
        "zone": Field(convert=_plain(normalise_zone)),
    },
    "dns.challtestsrv": {
        "url": Field(convert=_plain(lambda v: check_url(v, ("http", "https"))), required=True),
    },
    "tsig": {
        "name": Field(convert=_plain(normalise_zone), required=True),
        "secret": _SECRET,
        "algorithm": Field(
            enum=("hmac-sha256", "hmac-sha384", "hmac-sha512", "hmac-sha1"),
            default="hmac-sha256",
        ),
    },
    "propagation": {
        "nameservers": Field("list", convert=_plain(parse_host_port), default=(), unique=True),
        "timeout": Field(convert=_SECONDS, accepts=NUMBER, default=120.0),
        "interval": Field(convert=_SECONDS, accepts=NUMBER, default=2.0),
    },
    "defaults": {
        "key": Field(enum=ALL_KEY_TYPES),
        "renew_before": _DURATION,
        "challenge": Field(enum=CHALLENGES),
        "persist_until": _PERSIST_UNTIL,
    },
    "report": {"mode": Field(enum=("issue", "pr", "none"), default="issue")},
    "azure": {
        "cloud": Field(enum=tuple(AZURE_CLOUDS), default="AzurePublicCloud"),
        "authority_host": Field(convert=_plain(lambda v: check_url(v, ("https",)))),
        "arm_endpoint": Field(convert=_plain(lambda v: check_url(v, ("https",)))),
        "ca_bundle": _FILE,
        # issue 11 (azure): GitHub OIDC audience when the federated credential differs
        "token_audience": _STR,
    },
    "certificate": {
        "name": Field(convert=_plain(check_certificate_name), required=True),
        "domains": Field(
            "list",
            convert=_plain(normalise_domain),
            required=True,
            min_items=1,
            max_items=100,
            unique=True,
        ),
        "key": Field(enum=ALL_KEY_TYPES),
        "renew_before": _DURATION,
        "acme": Field("override", section="acme"),
        "dns": Field("override", section="dns"),
        "store": Field("override", section="store"),
        "tags": Field("map", max_items=10),
        "challenge": Field(enum=CHALLENGES),
        "persist_until": _PERSIST_UNTIL,
        # issue 11 (azure): stop renewing this certificate on purpose; the plan says so
        "retired": Field(accepts=("bool",), default=False),
        "consumers": Field("list", convert=_plain(check_consumer), default=(), unique=True),
        "previous_name": Field(convert=_plain(check_certificate_name)),
    },
}
"""Every section's fields; "store.<type>" and "dns.<type>" add to "store"/"dns" for one type."""

TYPED: dict[str, tuple[str, ...]] = {"store": STORE_TYPES, "dns": DNS_TYPES}
"""Sections whose allowed keys depend on their ``type``."""


def typed_table(kind: str, type_name: str) -> dict[str, Field]:
    """The fields of a typed section ("store", "dns") for one type."""
    return {**SECTIONS[kind], **SECTIONS[f"{kind}.{type_name}"]}


def all_keys(kind: str) -> dict[str, Field]:
    """Every key a section may hold under any of its types."""
    table = dict(SECTIONS[kind])
    for type_name in TYPED.get(kind, ()):
        table.update(SECTIONS[f"{kind}.{type_name}"])
    return table
