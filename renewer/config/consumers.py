"""The ``consumers:`` keys of a certificate: who reads it from the vault, as field tables.

A consumer is a kind name (the short form, ``consumers: [front-door]``: a
key-type warning and verify's grace, nothing to set up) or a mapping with
``kind``, ``resource`` (the Azure resource id, checked for the kind's
provider and type) and the kind's own keys, which ``renewer azure setup``,
``renew``'s nudges and ``renewer doctor`` act on. The tables here are the
only place a key, its default and its check live; ``consumer_entries``
walks the YAML against them and the JSON Schema is generated from them.

A key type a consumer cannot load stays a warning (nothing fails: the vault
would hold a certificate the consumer rejects, and the warning says so before
it is bound). Source: Microsoft Learn, "Configure HTTPS on an Azure Front Door
custom domain" (bring-your-own certificates: RSA keys only).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from renewer.config import names
from renewer.config.convert import DURATION, Field, doc, plain
from renewer.core.consumers import KINDS
from renewer.core.models import HSM_SUFFIX, CertificateSpec

CONSUMERS = tuple(KINDS)
"""The kinds ``consumers:`` accepts."""

OS_TYPES = ("windows", "linux")
STORE_LOCATIONS = ("LocalMachine", "CurrentUser")
# Every name here reaches `azure setup`'s script and ARM URLs: Azure's naming rules apply.
_NAME = Field(convert=plain(names.check_resource_name))

COMMON: dict[str, Field] = {
    "kind": Field(required=True, enum=CONSUMERS, description="The kind of consumer."),
    "resource": Field(
        convert=plain(names.check_resource_id),
        description="Its Azure resource id (/subscriptions/…/providers/<Provider>/<type>/<name>).",
        pattern="^/subscriptions/",
    ),
    "nudge": Field(
        accepts=("bool",),
        default=True,
        description="After a renewal, ask it to pick the new version up now where its service "
        "documents a way (default true).",
    ),
}
"""Keys every consumer mapping may hold."""

KIND_FIELDS: dict[str, dict[str, Field]] = {
    "vm-extension": {
        "os": Field(enum=OS_TYPES, default="windows", description="windows or linux."),
        "store": Field(
            "section",
            section="consumer-store",
            description="Windows certificate store {name (default MY), location (LocalMachine)}.",
        ),
        "accounts": Field(
            "list",
            convert=plain(names.check_account),
            unique=True,
            max_items=20,
            description="Windows accounts given read access to the private key.",
        ),
        "polling": doc(DURATION, "How often the extension polls the vault (default 1h)."),
    },
    "application-gateway": {
        "certificate": doc(_NAME, "The gateway's SSL certificate name.", required=True),
    },
    "app-service": {
        "hostname": doc(
            Field(convert=plain(names.check_hostname)),
            "The site's host name to bind with SNI.",
            required=True,
        ),
        "certificate": doc(
            _NAME, "Name of the Microsoft.Web/certificates resource (default: the certificate's)."
        ),
    },
    "front-door": {
        "secret": doc(_NAME, "The profile's secret that holds the certificate.", required=True),
        "pinned": Field(
            accepts=("bool",),
            default=False,
            description="The secret names a version instead of Latest: renew points it at "
            "the new version (default false).",
        ),
    },
    "container-apps": {
        "certificate": doc(_NAME, "The environment's certificate name.", required=True),
    },
    "api-management": {
        "certificate": doc(_NAME, "The service's certificate id.", required=True),
    },
    "other": {},
}
"""Each kind's own keys, next to COMMON."""

STORE_FIELDS: dict[str, Field] = {
    "name": Field(
        convert=plain(names.check_resource_name),
        default="MY",
        description="Store name (default MY).",
    ),
    "location": Field(enum=STORE_LOCATIONS, default="LocalMachine", description="Store location."),
}


def _schema() -> dict[str, Any]:
    """The JSON Schema of one ``consumers:`` item: a kind name or a mapping."""
    keys: dict[str, dict[str, Any]] = {
        name: {"description": f.description} for name, f in COMMON.items()
    }
    keys["kind"] = {"enum": list(CONSUMERS), "description": COMMON["kind"].description}
    for table in KIND_FIELDS.values():
        for name, field in table.items():
            keys.setdefault(name, {"description": field.description})
    return {
        "type": "array",
        "items": {
            "anyOf": [
                {"enum": list(CONSUMERS)},
                {
                    "type": "object",
                    "required": ["kind"],
                    "properties": keys,
                    "additionalProperties": False,
                },
            ]
        },
    }


CONSUMERS_FIELD = Field(
    "consumers",
    enum=CONSUMERS,  # the kind names; items are walked by config/consumer_entries.py
    description=(
        "Services that use this certificate: a kind ("
        + ", ".join(CONSUMERS)
        + ") or {kind, resource, …} for azure setup, nudges after renewal and doctor; "
        "validate warns when one cannot use its key type; verify's default grace is the "
        "slowest one's pick-up time."
    ),
    schema=_schema(),
)


def consumer_warnings(specs: Iterable[CertificateSpec]) -> list[str]:
    """One line per certificate whose key type a named consumer cannot use."""
    found = []
    for spec in specs:
        base = spec.key.removesuffix(HSM_SUFFIX)
        if any(c.info.rsa_only for c in spec.consumers) and base.startswith("ec-"):
            found.append(
                f"certificate {spec.name}: Front Door does not accept EC keys ({spec.key}); "
                "set key: rsa-2048 (or larger) for it"
            )
    return found
