"""The CAA record set renewer keeps at a zone apex in Azure DNS (``dns.manage_caa``).

A zone's CAA set belongs to its owner first: other CAs they use, ``iodef``
contacts, a restrictive ``issuewild``. So renewer only adds: the records
that allow this CA, this account and dns-01 (renewer.dns.caa_policy.recommended)
are appended to whatever the set holds, and nothing is removed or rewritten.
Each record added is noted in the set's metadata (``renewer_caa_<hash>``),
so the set says which records renewer wrote; a record for an account no
longer used stays until someone removes it, as removing a record that
allows an account is not renewer's call to make.

Wildcards (RFC 8659 4.3): where the set holds ``issuewild`` records, they
alone decide for wildcard names, so a certificate with a wildcard gets an
``issuewild`` twin of each record too. Where there is none, the ``issue``
records decide for wildcards as well, and adding an ``issuewild`` would
withdraw wildcard issuance from the owner's other CAs: none is added.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from azure.mgmt.dns.models import CaaRecord as AzureCaa
from azure.mgmt.dns.models import RecordSet

from renewer.dns.caa import CaaRecord, CaaSet
from renewer.dns.contract import DnsError

log = logging.getLogger(__name__)
CAA_TTL = 3600
MAX_RECORDS = 20  # per record set in Azure DNS, as for TXT (renewer.dns.providers.azure)
META_PREFIX = "renewer_caa_"
ISSUE, ISSUEWILD = "issue", "issuewild"
ROLE_HINT = (
    "dns.manage_caa needs Microsoft.Network/dnsZones/CAA/read and /write (add them to the "
    "custom role, or grant DNS Zone Contributor)"
)


def note_key(record: CaaRecord) -> str:
    """The metadata key that says renewer added ``record`` (metadata keys are identifiers)."""
    return META_PREFIX + hashlib.sha256(record.text().encode()).hexdigest()[:16]


def records_of(record_set: RecordSet | None) -> list[CaaRecord]:
    """The CAA records an ARM record set holds (tags compared in lower case, RFC 8659 4.1)."""
    if record_set is None:
        return []
    return [
        CaaRecord(int(r.flags or 0), str(r.tag or "").lower(), str(r.value or ""))
        for r in record_set.caa_records or []
    ]


def wanted(
    desired: Sequence[CaaRecord], present: Sequence[CaaRecord], wildcard: bool
) -> list[CaaRecord]:
    """The records to have: ``desired``, and their ``issuewild`` twins where they decide."""
    out = list(desired)
    if wildcard and any(r.tag == ISSUEWILD for r in present):
        out += [CaaRecord(r.flags, ISSUEWILD, r.value) for r in desired if r.tag == ISSUE]
    return out


def merged(
    current: RecordSet | None, desired: Sequence[CaaRecord], wildcard: bool, now: datetime
) -> RecordSet | None:
    """The record set with every wanted record in it; None when nothing needs writing."""
    present = records_of(current)
    missing = [r for r in wanted(desired, present, wildcard) if r not in present]
    if not missing:
        return None
    metadata = dict(current.metadata or {}) if current is not None else {}
    metadata.update({note_key(r): now.isoformat(timespec="seconds") for r in missing})
    kept = list(current.caa_records or []) if current is not None else []  # as they were
    added = [AzureCaa(flags=r.flags, tag=r.tag, value=r.value) for r in missing]
    return RecordSet(
        ttl=(current.ttl if current is not None and current.ttl else CAA_TTL),
        metadata=metadata,
        caa_records=kept + added,
    )


def ensure(
    zone: str,
    records: Sequence[CaaRecord],
    wildcard: bool,
    *,
    read: Callable[[], RecordSet | None],
    write: Callable[[RecordSet, str | None], None],
    retrying: Callable[[Callable[[], None]], None],
) -> CaaSet:
    """Read the apex set, add what is missing, write it back conditionally (``write``
    gets the ETag read, None to create); ``retrying`` reads again after a lost race.
    Returns the set at the apex as it is now."""
    stored: list[RecordSet | None] = [None]

    def attempt() -> None:
        current = read()
        stored[0] = current
        updated = merged(current, records, wildcard, datetime.now(UTC))
        if updated is None:
            return
        if len(updated.caa_records or []) > MAX_RECORDS:
            raise DnsError(
                f"azure dns: CAA {zone}. would hold more than {MAX_RECORDS} records, "
                "Azure DNS's limit per record set; remove unused ones there"
            )
        write(updated, current.etag if current is not None else None)
        stored[0] = updated
        log.info("%s.: CAA records added for this CA and account", zone)

    retrying(attempt)
    return CaaSet(f"{zone}.", f"{zone}.", tuple(records_of(stored[0])))
