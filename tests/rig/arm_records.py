"""Azure DNS TXT record sets as the ARM stand-in (tests/rig/arm.py) keeps, takes and refuses them.

A PUT body's ``properties.TTL`` must be an int, every string at most 255
characters, at most 20 records per set (Microsoft Learn, "Azure subscription and
service limits", Azure DNS: "Records per record set in public DNS zones: 20";
the error's code and text are a GUESS). Errors carry ARM's body shape
(``{"error": {"code", "message"}}``, or flat as the record-set 404 is sent).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

MAX_RECORDS = 20


@dataclass
class TxtSet:
    """One stored TXT record set: a list of records, each a list of <=255-char strings."""

    records: list[list[str]]
    ttl: int
    etag: str
    metadata: dict[str, str] = field(default_factory=dict)

    def values(self) -> list[str]:
        return sorted("".join(r) for r in self.records)


class ArmError(Exception):
    def __init__(self, status: int, code: str, message: str, *, flat: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.flat = flat

    def body(self) -> dict[str, Any]:
        inner = {"code": self.code, "message": self.message}
        return inner if self.flat else {"error": inner}


def quote_txt(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse_txt_body(body: bytes) -> tuple[list[list[str]], int, dict[str, str]]:
    try:
        doc = json.loads(body or b"null")
        props = doc["properties"]
        ttl = props["TTL"]
        raw = props.get("TXTRecords") or []
        records = [list(r["value"]) for r in raw]
        metadata = dict(props.get("metadata") or {})
    except (ValueError, KeyError, TypeError) as exc:
        raise ArmError(400, "BadRequest", f"invalid record set body: {exc}") from None
    if not isinstance(ttl, int) or isinstance(ttl, bool) or not 0 <= ttl <= 2147483647:
        raise ArmError(400, "BadRequest", "properties.TTL must be an integer")
    if len(records) > MAX_RECORDS:
        raise ArmError(
            400,
            "BadRequest",
            f"The record set has {len(records)} records; the maximum number of records "
            f"in a record set is {MAX_RECORDS}.",
        )
    for record in records:
        if not record or not all(isinstance(s, str) and len(s) <= 255 for s in record):
            raise ArmError(
                400, "BadRequest", "each TXT record needs 1+ strings of at most 255 characters"
            )
    return records, ttl, metadata


def txt_json(group_id: str, zone: str, name: str, rs: TxtSet) -> dict[str, Any]:
    """A TXT record set as ARM shows it (RecordSet in the dns 2018-05-01 spec)."""
    fqdn = f"{zone}." if name == "@" else f"{name}.{zone}."
    return {
        "id": f"{group_id}/providers/Microsoft.Network/dnszones/{zone}/TXT/{name}",
        "name": name,
        "type": "Microsoft.Network/dnszones/TXT",
        "etag": rs.etag,
        "properties": {
            "metadata": rs.metadata,
            "TTL": rs.ttl,
            "fqdn": fqdn,
            "provisioningState": "Succeeded",
            "targetResource": {},
            "TXTRecords": [{"value": list(r)} for r in rs.records],
        },
    }
