"""What certificates.yaml may contain, as data.

SECTIONS: one table of fields per section, the common ones here and ``<kind>.<type>``
(kinds dns, store, notify) from the settings classes of ``config/types/``. Unknown-key
suggestions, required keys, enums and the JSON Schema all read these tables (no key list
elsewhere); ``nodes.Checker`` applies them."""

from __future__ import annotations

from renewer.config.cadence import CADENCE_DEFAULTS, CADENCE_OVERRIDES
from renewer.config.convert import (
    DURATION,
    FILE,
    NUMBER,
    PERSIST_UNTIL,
    SECONDS,
    SECRET,
    STR,
    Context,
    Field,
    base64_secret,
    doc,
    plain,
)
from renewer.config.directories import ALIASES, CAA_IDENTITIES, resolve_directory
from renewer.config.domains import (
    check_certificate_name,
    check_url,
    normalise_domain,
    normalise_email,
    parse_host_port,
)
from renewer.config.lifecycle import LIFECYCLE
from renewer.config.types import notifiers
from renewer.config.types.base import fields_of
from renewer.config.types.registry import TYPES
from renewer.core.models import HSM_SUFFIX, KEY_TYPES, Challenge, ReportMode
from renewer.core.settings import AZURE_CLOUDS, PropagationSettings

__all__ = ["SECTIONS", "TYPED", "Context", "Field", "all_keys", "typed_table"]


ALL_KEY_TYPES = KEY_TYPES + tuple(key + HSM_SUFFIX for key in KEY_TYPES)
DEFAULT_KEY = "ec-p256"
CLOUD_NAMES = {cloud.config_name: cloud.name for cloud in AZURE_CLOUDS.values()}
"""Config names (as the Azure CLI spells them) -> ``AzureSettings.cloud``."""
MAX_TAG_LENGTH = 256

CHALLENGES = tuple(c.value for c in Challenge)


def type_field(kind: str) -> Field:
    """A typed section's ``type``: the registered names, each explained by its summary."""
    summaries = "; ".join(f"{t.name}: {t.summary}" for t in TYPES[kind].values())
    return Field(required=True, enum=tuple(TYPES[kind]), description=summaries + ".")


DEFAULT_CHALLENGE = Challenge.DNS_01


_ADDRESS = {
    "type": "string",
    "minLength": 1,
    "description": "host[:port]; port 443 unless given; IPv6 as [::1]:8443.",
}
_ENDPOINT = {
    "anyOf": [
        _ADDRESS,
        {
            "type": "object",
            "properties": {
                "address": _ADDRESS,
                "sni": {
                    "type": "string",
                    "minLength": 1,
                    "description": "The server name to send; one of the certificate's domains.",
                },
            },
            "required": ["address"],
            "additionalProperties": False,
        },
    ]
}
_TYPED_OVERRIDE = (
    "Keys that replace those of the top-level {} section. A different `type` replaces the "
    "whole section, which must then be complete."
)
REPORT_MODES = tuple(m.value for m in ReportMode)

SECTIONS: dict[str, dict[str, Field]] = {
    "top": {
        "acme": Field(
            "section",
            section="acme",
            required=True,
            description=(
                "The ACME CA every certificate uses unless it overrides keys under its own `acme`."
            ),
        ),
        "store": Field(
            "section",
            section="store",
            required=True,
            description=(
                "Where certificates are kept; a certificate may override keys under its own "
                "`store`."
            ),
        ),
        "dns": Field(
            "section",
            section="dns",
            required=True,
            description=(
                "How DNS-01 challenges are answered; a certificate may override keys under its "
                "own `dns`."
            ),
        ),
        "defaults": Field(
            "section",
            section="defaults",
            description="Defaults for every certificate that does not set the key itself.",
        ),
        "report": Field("section", section="report", description="How a run reports on GitHub."),
        "azure": Field("section", section="azure", description="Azure cloud settings."),
        "certificates": Field(
            "sections",
            section="certificate",
            required=True,
            min_items=1,
            description="The certificates to keep valid (at least one).",
        ),
        "notify": Field(  # the types: config/types/notify_*.py
            "sections",
            section="notify",
            description="Notification targets for every certificate (see $defs/notify).",
        ),
    },
    "acme": {
        "directory": Field(
            convert=plain(resolve_directory),
            required=True,
            description=(
                "Directory URL (https://, or http:// on 127.0.0.1/localhost only) or an alias: "
                + ", ".join(ALIASES)
                + "."
            ),
            schema={
                "anyOf": [
                    {"enum": list(ALIASES)},
                    {"type": "string", "pattern": r"^\s*https?://[^\s/]+"},
                ]
            },
        ),
        "contact": Field(
            "list",
            convert=plain(normalise_email),
            default=(),
            unique=True,
            description=(
                "Account contact e-mail addresses; `ops@example.com` and "
                "`mailto:ops@example.com` are both accepted."
            ),
            pattern=r"^\s*(mailto:)?[^@\s,;<>]+@[^@\s]+\s*$",
        ),
        "profile": doc(
            STR,
            "ACME certificate profile to request (for example `tlsserver` or `shortlived`), "
            "if the CA offers profiles.",
        ),
        "eab": Field(
            "section",
            section="eab",
            secret=True,
            description=(
                "External account binding, required by ZeroSSL, Google Trust Services and "
                "SSL.com. Both values must be env:NAME references."
            ),
        ),
        "ca_bundle": doc(
            FILE,
            "PEM file with the CA certificates to trust for the ACME server (private CAs, "
            "local test servers). Relative to this file; must exist.",
        ),
        "preferred_chain": doc(
            STR,
            "Common name of the issuer of the alternate chain to prefer, if the CA offers several.",
        ),
        "caa_identities": CAA_IDENTITIES,
    },
    "eab": {
        "kid": doc(SECRET, "Key identifier from the CA, as env:NAME."),
        "hmac_key": doc(
            SECRET,
            "Base64url HMAC key from the CA, as env:NAME.",
            convert=base64_secret(urlsafe=True),
        ),
    },
    "store": {"type": type_field("store")},
    "dns": {
        "type": type_field("dns"),
        "propagation": Field(
            "section",
            section="propagation",
            description="How to wait until the TXT record is visible.",
        ),
    },
    "propagation": {
        "nameservers": Field(
            "list",
            convert=plain(parse_host_port),
            default=PropagationSettings.nameservers,  # the settings' defaults, not repeated
            unique=True,
            description=(
                "Servers to poll (host or host:port, port 53 by default) instead of the "
                "zone's discovered authoritative servers."
            ),
        ),
        "timeout": Field(
            convert=SECONDS,
            accepts=NUMBER,
            default=PropagationSettings.timeout,
            description="Give up after this long (default 120s).",
        ),
        "interval": Field(
            convert=SECONDS,
            accepts=NUMBER,
            default=PropagationSettings.interval,
            description="Poll this often (default 2s).",
        ),
    },
    "notify": {"type": type_field("notify"), **fields_of(notifiers.NotifySettings)},
    "defaults": {
        "key": Field(
            enum=ALL_KEY_TYPES,
            description="Key type (default ec-p256). A -hsm suffix needs a keyvault store.",
        ),
        "renew_before": doc(
            DURATION,
            "Renew this long before expiry when the CA offers no renewal window (ARI). "
            "Default: when a third of the lifetime is left.",
        ),
        "challenge": Field(
            enum=CHALLENGES,
            convert=plain(Challenge),
            description=(
                "How to prove control: dns-01 (write a TXT per order), dns-persist-01 (one "
                "standing _validation-persist record, no DNS writes on renewal), auto "
                "(dns-persist-01 where the CA offers it and a valid standing record exists, "
                "else dns-01). Default dns-01."
            ),
        ),
        "persist_until": doc(
            PERSIST_UNTIL,
            "dns-persist-01: persistUntil written by `renewer persist`: a date (2027-06-30) "
            "or a duration from the time of writing (365d). Default: none (no expiry).",
        ),
        **CADENCE_DEFAULTS,
        "grace": doc(  # renewer verify: how long a previous version may be served
            DURATION,
            "How long after a renewal an endpoint may still serve the previous version "
            "(renewer verify); default 26h, longer than the slowest Azure consumer.",
        ),
    },
    "report": {
        "mode": Field(
            enum=REPORT_MODES,
            convert=plain(ReportMode),
            default="issue",
            description=(
                "Where a run reports besides the job summary: issue (default) a tracking "
                "issue, pr a pull request comment, none nowhere else."
            ),
        )
    },
    "azure": {
        "cloud": Field(
            enum=tuple(CLOUD_NAMES),
            default="AzurePublicCloud",
            description=(
                "Azure cloud: sets the sign-in authority and the ARM endpoint "
                "(default AzurePublicCloud)."
            ),
        ),
        "authority_host": Field(
            convert=plain(lambda v: check_url(v, ("https",))),
            description="Entra ID authority host (https URL), overriding the cloud's.",
            pattern="^https://",
        ),
        "arm_endpoint": Field(
            convert=plain(lambda v: check_url(v, ("https",))),
            description="Azure Resource Manager endpoint (https URL), overriding the cloud's.",
            pattern="^https://",
        ),
        "ca_bundle": doc(
            FILE,
            "PEM file with the CA certificates to trust for Azure endpoints (emulators, "
            "TLS-inspecting proxies). Relative to this file; must exist.",
        ),
        "token_audience": doc(
            STR,
            "Audience of the GitHub OIDC token exchanged for an Entra token, when the federated "
            "credential uses another one. Default: the cloud's (api://AzureADTokenExchange, "
            "...USGov, ...China).",
        ),
    },
    "certificate": {
        "name": Field(
            convert=plain(check_certificate_name),
            required=True,
            description=(
                "Certificate name, also the Key Vault name: 1 to 127 letters, digits and "
                "hyphens; unique regardless of case."
            ),
            pattern="^[0-9A-Za-z-]{1,127}$",
        ),
        "domains": Field(
            "list",
            convert=plain(normalise_domain),
            required=True,
            min_items=1,
            max_items=100,
            unique=True,
            description=(
                "Names on the certificate (1 to 100); the first is the subject. "
                "Internationalised names are converted to A-labels; a wildcard may only be the "
                "whole leftmost label (*.example.com)."
            ),
        ),
        "key": Field(
            enum=ALL_KEY_TYPES,
            description="Key type; overrides defaults.key. A -hsm suffix needs a keyvault store.",
        ),
        "renew_before": doc(DURATION, "Overrides defaults.renew_before."),
        "acme": Field(
            "override",
            section="acme",
            description=(
                "Keys that replace those of the top-level acme section for this certificate."
            ),
        ),
        "dns": Field("override", section="dns", description=_TYPED_OVERRIDE.format("dns")),
        "store": Field("override", section="store", description=_TYPED_OVERRIDE.format("store")),
        "tags": Field(
            "map",
            max_items=10,
            description=(
                f"Tags for the certificate (at most 10; names 1 to {MAX_TAG_LENGTH} characters, "
                f"values at most {MAX_TAG_LENGTH})."
            ),
        ),
        "challenge": Field(
            enum=CHALLENGES, convert=plain(Challenge), description="Overrides defaults.challenge."
        ),
        "persist_until": doc(PERSIST_UNTIL, "Overrides defaults.persist_until."),
        "notify": Field(  # the types: config/types/notify_*.py
            "sections",
            section="notify",
            description=(
                "This certificate's own notification targets (its owner team's channel), "
                "besides the top-level ones."
            ),
        ),
        # renewer verify: walked by renewer.config.endpoints (strings or mappings)
        "endpoints": Field(
            "endpoints",
            max_items=100,
            description=(
                "TLS endpoints that serve this certificate, checked by renewer verify (nothing "
                'is probed without them). Each a "host[:port]" string or {address, sni}; SNI '
                "defaults to the first non-wildcard domain."
            ),
            schema={"type": "array", "maxItems": 100, "items": _ENDPOINT},
        ),
        "grace": doc(DURATION, "Overrides defaults.grace."),
        **CADENCE_OVERRIDES,
        **LIFECYCLE,  # retired, adopt, consumers, previous_name
    },
}
"""Every section's fields; "store.<type>" and "dns.<type>" add to "store"/"dns" for one type."""
for _kind, _types in TYPES.items():
    for _type in _types.values():
        SECTIONS[f"{_kind}.{_type.name}"] = dict(_type.fields)
        SECTIONS.update(_type.section_tables())

TYPED: dict[str, tuple[str, ...]] = {kind: tuple(types) for kind, types in TYPES.items()}
"""Sections whose keys depend on ``type``, and their type names."""


def typed_table(kind: str, type_name: str) -> dict[str, Field]:
    """The fields of a typed section ("store", "dns") for one type."""
    return {**SECTIONS[kind], **SECTIONS[f"{kind}.{type_name}"]}


def all_keys(kind: str) -> dict[str, Field]:
    """Every key a section may hold under any of its types."""
    table = dict(SECTIONS[kind])
    for type_name in TYPED.get(kind, ()):
        table.update(SECTIONS[f"{kind}.{type_name}"])
    return table
