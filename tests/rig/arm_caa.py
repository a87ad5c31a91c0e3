"""CAA record sets in the Azure DNS stand-in (tests/rig/arm.py): body, checks, JSON, BIND.

Modelled on the Azure DNS REST spec (Azure/azure-rest-api-specs,
specification/dns/resource-manager/Microsoft.Network/Dns/stable/2018-05-01/dns.json,
definition ``CaaRecord``: ``flags`` "an integer between 0 and 255", ``tag`` and
``value`` strings; example ``CreateOrUpdateCaaRecordset.json``: the route
``.../dnsZones/{zone}/CAA/{name}``, ``properties.caaRecords``, ``properties.TTL``,
``properties.metadata``, and ``type`` ``Microsoft.Network/dnsZones/CAA``). The 20
records per record set limit is Azure DNS's for every type (Microsoft Learn,
"Azure subscription and service limits"). The error codes and texts of the 400
answers are a GUESS: the spec gives only ``CloudError``.

The stand-in checks the tag as RFC 8659 4.1 defines it (1 to 15 ASCII letters
and digits), so a client that sends a malformed record fails here as it would
fail to publish a zone-file record.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

MAX_RECORDS = 20
_TAG = re.compile(r"^[A-Za-z0-9]{1,15}$")


class CaaBodyError(ValueError):
    """A PUT body Azure would refuse with 400 (the message is the answer's text)."""


@dataclass(frozen=True)
class Caa:
    flags: int
    tag: str
    value: str

    @classmethod
    def parse(cls, text: str) -> Caa:
        """From the presentation form ``0 issue "ca.example"`` (no escapes inside)."""
        flags, tag, value = text.split(" ", 2)
        return cls(int(flags), tag, value.strip('"'))

    def rdata(self) -> str:
        """The presentation form BIND takes: ``flags tag "value"``."""
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"')
        return f'{self.flags} {self.tag} "{escaped}"'

    def json(self) -> dict[str, Any]:
        return {"flags": self.flags, "tag": self.tag, "value": self.value}


def parse_caa_body(body: bytes) -> tuple[list[Caa], int, dict[str, str]]:
    """(records, TTL, metadata) of a CAA record set PUT; CaaBodyError if Azure refuses it."""
    try:
        doc = json.loads(body or b"null")
        props = doc["properties"]
        ttl = props["TTL"]
        raw = props.get("caaRecords") or []
        metadata = dict(props.get("metadata") or {})
        records = [Caa(r["flags"], r["tag"], r["value"]) for r in raw]
    except (ValueError, KeyError, TypeError) as exc:
        raise CaaBodyError(f"invalid record set body: {exc}") from None
    if not isinstance(ttl, int) or isinstance(ttl, bool) or not 0 <= ttl <= 2147483647:
        raise CaaBodyError("properties.TTL must be an integer")
    if len(records) > MAX_RECORDS:
        raise CaaBodyError(
            f"The record set has {len(records)} records; the maximum number of records "
            f"in a record set is {MAX_RECORDS}."
        )
    for record in records:
        if not isinstance(record.flags, int) or not 0 <= record.flags <= 255:
            raise CaaBodyError("The flags for a CAA record must be an integer between 0 and 255.")
        if not isinstance(record.tag, str) or not _TAG.match(record.tag):
            raise CaaBodyError(f"The CAA tag {record.tag!r} is invalid.")
        if not isinstance(record.value, str):
            raise CaaBodyError("The CAA value must be a string.")
    return records, ttl, metadata


@dataclass
class CaaSet:
    """One stored CAA record set."""

    records: list[Caa]
    ttl: int
    etag: str
    metadata: dict[str, str]


def caa_json(rg_id: str, zone: str, name: str, rs: CaaSet) -> dict[str, Any]:
    """The record set as ARM answers it (the spec's example response)."""
    fqdn = f"{zone}." if name == "@" else f"{name}.{zone}."
    return {
        "id": f"{rg_id}/providers/Microsoft.Network/dnszones/{zone}/CAA/{name}",
        "name": name,
        "type": "Microsoft.Network/dnszones/CAA",
        "etag": rs.etag,
        "properties": {
            "metadata": rs.metadata,
            "TTL": rs.ttl,
            "fqdn": fqdn,
            "provisioningState": "Succeeded",
            "targetResource": {},
            "caaRecords": [r.json() for r in rs.records],
        },
    }
