"""What certificates.yaml may contain, as data.

SECTIONS holds one table of fields per section: the common ones here, and
``dns.<type>`` / ``store.<type>`` (plus their nested tables) from the type
modules in ``config/types/``. Nothing hard-codes a key list elsewhere:
unknown-key suggestions, required keys, enums and the generated JSON Schema
all read these tables; ``config.nodes.Checker`` applies them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from renewer.config.convert import (
    DURATION,
    FILE,
    NUMBER,
    SECONDS,
    SECRET,
    STR,
    Context,
    Field,
    plain,
)
from renewer.config.directories import resolve_directory
from renewer.config.domains import (
    check_certificate_name,
    check_url,
    normalise_domain,
    normalise_email,
    parse_host_port,
)
from renewer.config.durations import parse_positive_duration
from renewer.config.types.registry import TYPES
from renewer.core.models import HSM_SUFFIX, KEY_TYPES
from renewer.core.settings import AZURE_CLOUDS

__all__ = ["SECTIONS", "TYPED", "Context", "Field", "all_keys", "typed_table"]


ALL_KEY_TYPES = KEY_TYPES + tuple(key + HSM_SUFFIX for key in KEY_TYPES)
DEFAULT_KEY = "ec-p256"
CLOUD_NAMES = {cloud.config_name: cloud.name for cloud in AZURE_CLOUDS.values()}
"""Config names (as the Azure CLI spells them) -> ``AzureSettings.cloud``."""
MAX_TAG_LENGTH = 256

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
        "directory": Field(convert=plain(resolve_directory), required=True),
        "contact": Field("list", convert=plain(normalise_email), default=(), unique=True),
        "profile": STR,
        "eab": Field("section", section="eab", secret=True),
        "ca_bundle": FILE,
        "preferred_chain": STR,
    },
    "eab": {"kid": SECRET, "hmac_key": SECRET},
    "store": {"type": Field(required=True, enum=tuple(TYPES["store"]))},
    "dns": {
        "type": Field(required=True, enum=tuple(TYPES["dns"])),
        "propagation": Field("section", section="propagation"),
    },
    "propagation": {
        "nameservers": Field("list", convert=plain(parse_host_port), default=(), unique=True),
        "timeout": Field(convert=SECONDS, accepts=NUMBER, default=120.0),
        "interval": Field(convert=SECONDS, accepts=NUMBER, default=2.0),
    },
    "defaults": {
        "key": Field(enum=ALL_KEY_TYPES),
        "renew_before": DURATION,
        "challenge": Field(enum=CHALLENGES),
        "persist_until": _PERSIST_UNTIL,
    },
    "report": {"mode": Field(enum=("issue", "pr", "none"), default="issue")},
    "azure": {
        "cloud": Field(enum=tuple(CLOUD_NAMES), default="AzurePublicCloud"),
        "authority_host": Field(convert=plain(lambda v: check_url(v, ("https",)))),
        "arm_endpoint": Field(convert=plain(lambda v: check_url(v, ("https",)))),
        "ca_bundle": FILE,
    },
    "certificate": {
        "name": Field(convert=plain(check_certificate_name), required=True),
        "domains": Field(
            "list",
            convert=plain(normalise_domain),
            required=True,
            min_items=1,
            max_items=100,
            unique=True,
        ),
        "key": Field(enum=ALL_KEY_TYPES),
        "renew_before": DURATION,
        "acme": Field("override", section="acme"),
        "dns": Field("override", section="dns"),
        "store": Field("override", section="store"),
        "tags": Field("map", max_items=10),
        "challenge": Field(enum=CHALLENGES),
        "persist_until": _PERSIST_UNTIL,
    },
}
"""Every section's fields; "store.<type>" and "dns.<type>" add to "store"/"dns" for one type."""
for _kind, _types in TYPES.items():
    for _type in _types.values():
        SECTIONS[f"{_kind}.{_type.name}"] = dict(_type.fields)
        SECTIONS.update({name: dict(table) for name, table in _type.sections.items()})

TYPED: dict[str, tuple[str, ...]] = {kind: tuple(types) for kind, types in TYPES.items()}
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
