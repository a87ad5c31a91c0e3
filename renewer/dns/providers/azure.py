"""Azure DNS through Azure Resource Manager (azure-mgmt-dns).

Azure DNS has no "add one TXT value" operation: a record set is read,
changed and written back whole. Two writers at one name (an apex and its
wildcard share ``_acme-challenge.<apex>``; two runs may overlap) would lose
each other's value with a plain read-modify-write, so every write carries the
ETag it was based on (``If-Match``; ``If-None-Match: *`` when creating) and a
412 Precondition Failed means "someone else wrote first": read again, retry.
Cleanup removes only our value and deletes the record set only when it is
empty, again conditional on the ETag (lego's Azure cleanup deleted the set).

Each value renewer adds is noted in the record set's own metadata
(``renewer_<hash of the value>: <UTC time written>``), which lives in Azure
with the record, not on the runner: a job killed or cancelled between
present and cleanup (its runner and local journal gone) leaves a value the
next write to that record set, from any runner, removes once it is older
than ``STALE_AFTER`` (longer than any order may take). Values without such
a note (someone else's) are never touched.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.core.credentials import TokenCredential
from azure.core.exceptions import AzureError, ClientAuthenticationError, HttpResponseError
from azure.mgmt.dns import DnsManagementClient
from azure.mgmt.dns.models import RecordSet, TxtRecord

from renewer.azure import signin
from renewer.config.types.dns_azure import AzureDnsSettings
from renewer.core import retry
from renewer.core.errors import RenewerError
from renewer.dns.caa import CaaRecord, CaaSet
from renewer.dns.contract import DnsError, DnsProvider, absolute
from renewer.dns.providers import azure_caa

TTL = 60
MAX_ATTEMPTS = 10
BACKOFF_BASE = 0.05  # seconds; doubled per attempt, full jitter
BACKOFF_CAP = 2.0
ETAG_RACE = retry.Policy(
    attempts=MAX_ATTEMPTS, first=BACKOFF_BASE, factor=2.0, cap=BACKOFF_CAP, jitter=True
)
TXT_CHUNK = 255  # one TXT character-string holds at most 255 bytes
RECORD_TYPE = "TXT"
# 404 codes that mean the zone or its resource group is gone, not just the record set
# (a missing record set answers {"code": "NotFound", "message": "The resource record ..."}).
ZONE_MISSING_CODES = frozenset(
    {"ResourceGroupNotFound", "ResourceNotFound", "ParentResourceNotFound", "SubscriptionNotFound"}
)
# Azure DNS allows 20 records per record set (Microsoft Learn, "Azure subscription and
# service limits", Azure DNS limits); a 21st TXT value is refused.
MAX_RECORDS = 20
STALE_AFTER = timedelta(hours=6)
META_PREFIX = "renewer_"
log = logging.getLogger(__name__)
ROLE_HINT = "grant the 'DNS TXT Contributor' custom role or DNS Zone Contributor"
MESSAGE_LIMIT = 200
TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


def _chunks(value: str) -> list[str]:
    return [value[i : i + TXT_CHUNK] for i in range(0, len(value), TXT_CHUNK)] or [""]


def _joined(record: TxtRecord) -> str:
    return "".join(record.value or [])


def _meta_key(value: str) -> str:
    return META_PREFIX + hashlib.sha256(value.encode()).hexdigest()[:16]


def _without_stale(
    records: list[TxtRecord], metadata: dict[str, str], now: datetime
) -> tuple[list[TxtRecord], dict[str, str], int]:
    """Drop renewer's values older than STALE_AFTER (and notes of values gone)."""
    kept: list[TxtRecord] = []
    dropped = 0
    for record in records:
        note = metadata.get(_meta_key(_joined(record)))
        try:
            written = datetime.fromisoformat(note) if note else None
        except ValueError:
            written = None
        if written is not None and now - written > STALE_AFTER:
            dropped += 1
            continue
        kept.append(record)
    live = {_meta_key(_joined(r)) for r in kept}
    notes = {k: v for k, v in metadata.items() if not k.startswith(META_PREFIX) or k in live}
    return kept, notes, dropped


def _code(exc: HttpResponseError) -> str:
    error = getattr(exc, "error", None)
    return str(getattr(error, "code", None) or exc.reason or "unknown")


def _message(exc: AzureError) -> str:
    error = getattr(exc, "error", None)
    text = str(getattr(error, "message", None) or exc.message or "").strip()
    first = text.splitlines()[0] if text else ""
    return first[:MESSAGE_LIMIT]


class _Conflict(RenewerError):
    """A conditional write lost the race (HTTP 412): read again and retry."""

    transient = True


class AzureDnsProvider(DnsProvider):
    """Adds and removes single TXT values in the Azure DNS zones of one resource group."""

    def __init__(
        self,
        settings: AzureDnsSettings,
        credential: TokenCredential | None = None,  # None: the run's sign-in to its cloud
    ) -> None:
        self.subscription_id = subscription_id = settings.subscription_id
        self.manage_caa = settings.manage_caa
        self.resource_group = settings.resource_group
        self.azure = azure = settings.azure
        credential = credential or signin.azure_credential(azure)
        endpoint = azure.resolved_arm_endpoint
        options: dict[str, Any] = {}
        if azure.ca_bundle is not None:
            options["connection_verify"] = str(azure.ca_bundle)
        self._client = DnsManagementClient(
            credential,
            subscription_id,
            base_url=endpoint,
            credential_scopes=[endpoint + "/.default"],
            **options,
        )
        self._zones: tuple[str, ...] | None = None
        self._zones_lock = threading.Lock()
        self._caa_lock = threading.Lock()  # CAA sets are written rarely: one at a time
        self._caa_done: dict[tuple[str, tuple[CaaRecord, ...], bool], CaaSet] = {}

    def describe(self) -> str:
        return f"azure dns {self.subscription_id}/{self.resource_group}"

    def close(self) -> None:
        self._client.close()

    # -- zones -------------------------------------------------------------------------

    def zones(self) -> tuple[str, ...]:
        """Zone names in the resource group, listed once per provider and cached."""
        with self._zones_lock:
            if self._zones is None:
                try:
                    listed = self._client.zones.list_by_resource_group(self.resource_group)
                    names = [str(z.name).lower().rstrip(".") for z in listed if z.name]
                except HttpResponseError as exc:
                    raise self._error(exc, None, "listing DNS zones") from None
                except AzureError as exc:
                    raise self._transport_error(exc, "listing DNS zones") from None
                self._zones = tuple(sorted(set(names), key=len, reverse=True))
            return self._zones

    def locate(self, fqdn: str) -> tuple[str, str]:
        """(zone, relative record set name) by longest suffix match; '@' for the apex."""
        name = absolute(fqdn).rstrip(".")
        for zone in self.zones():  # longest first
            if name == zone:
                return zone, "@"
            if name.endswith("." + zone):
                return zone, name[: -len(zone) - 1]
        raise DnsError(
            f"azure dns: no zone in subscription {self.subscription_id}, resource group "
            f"{self.resource_group} holds {absolute(fqdn)}"
        )

    # -- the contract --------------------------------------------------------------------

    def present(self, fqdn: str, value: str) -> None:
        zone, relative = self.locate(fqdn)

        def attempt() -> None:
            current = self._get(zone, relative, f"reading TXT {absolute(fqdn)}")
            what = f"adding TXT at {absolute(fqdn)}"
            now = datetime.now(UTC)
            note = {_meta_key(value): now.isoformat(timespec="seconds")}
            if current is None:
                fresh = RecordSet(
                    ttl=TTL, metadata=note, txt_records=[TxtRecord(value=_chunks(value))]
                )
                self._put(zone, relative, fresh, what, if_none_match="*")
                return
            records = list(current.txt_records or [])
            if any(_joined(r) == value for r in records):
                return
            records, metadata, dropped = _without_stale(records, dict(current.metadata or {}), now)
            if dropped:
                log.info("%s: removing %d stale TXT value(s) of an interrupted run", fqdn, dropped)
            if len(records) >= MAX_RECORDS:
                raise DnsError(
                    f"azure dns: TXT {absolute(fqdn)} in zone {zone} already holds "
                    f"{len(records)} values, Azure DNS's limit per record set "
                    f"({MAX_RECORDS}); remove stale values there (a cancelled job's are swept "
                    "by the next run) or split the names that share this record across "
                    "certificates issued at different times"
                )
            records.append(TxtRecord(value=_chunks(value)))
            # Keep the set's TTL and others' metadata: only our values are ours to change.
            updated = RecordSet(
                ttl=current.ttl or TTL, metadata={**metadata, **note}, txt_records=records
            )
            self._put(zone, relative, updated, what, if_match=current.etag)

        self._with_retries(attempt, f"adding TXT at {absolute(fqdn)}")

    def cleanup(self, fqdn: str, value: str) -> None:
        zone, relative = self.locate(fqdn)

        def attempt() -> None:
            current = self._get(zone, relative, f"reading TXT {absolute(fqdn)}")
            if current is None:
                return
            records = list(current.txt_records or [])
            remaining = [r for r in records if _joined(r) != value]
            if len(remaining) == len(records):
                return
            what = f"removing TXT at {absolute(fqdn)}"
            if remaining:
                metadata = dict(current.metadata or {})
                metadata.pop(_meta_key(value), None)
                updated = RecordSet(ttl=current.ttl, metadata=metadata, txt_records=remaining)
                self._put(zone, relative, updated, what, if_match=current.etag)
            else:
                self._delete(zone, relative, what, if_match=current.etag)

        self._with_retries(attempt, f"removing TXT at {absolute(fqdn)}")

    # -- CAA at the zone apex (dns.manage_caa; renewer.dns.providers.azure_caa) ---------

    def manages_caa(self) -> bool:
        return self.manage_caa

    def ensure_caa(self, domain: str, records: Sequence[CaaRecord], wildcard: bool) -> CaaSet:
        """Add ``records`` to the CAA set at the apex of the zone holding ``domain``
        (conditional on its ETag); the set as stored now. Once per run and zone."""
        zone, _relative = self.locate(domain.removeprefix("*."))
        what = f"adding CAA at {zone}."
        with self._caa_lock:
            key = (zone, tuple(records), wildcard)
            if key not in self._caa_done:
                self._caa_done[key] = azure_caa.ensure(
                    zone,
                    records,
                    wildcard,
                    read=lambda: self._get(zone, "@", f"reading CAA {zone}.", "CAA"),
                    write=lambda rs, etag: self._put(
                        zone,
                        "@",
                        rs,
                        what,
                        if_match=etag,
                        if_none_match=None if etag else "*",
                        record_type="CAA",
                    ),
                    retrying=lambda attempt: self._with_retries(attempt, what),
                )
            return self._caa_done[key]

    # -- conditional operations ----------------------------------------------------------

    def _with_retries(self, attempt: Callable[[], None], what: str) -> None:
        """Read, change, write conditionally; a lost race (412) reads again."""
        try:
            retry.attempt_until(
                attempt, policy=ETAG_RACE, retry_on=lambda error: isinstance(error, _Conflict)
            )
            return
        except _Conflict:
            pass
        raise DnsError(
            f"{self.describe()}: {what} failed: the record set kept changing "
            f"(HTTP 412 on {MAX_ATTEMPTS} attempts)"
        )

    def _get(
        self, zone: str, relative: str, what: str, record_type: str = RECORD_TYPE
    ) -> RecordSet | None:
        try:
            record_set: RecordSet = self._client.record_sets.get(
                self.resource_group, zone, relative, record_type
            )
        except HttpResponseError as exc:
            if exc.status_code == 404 and _code(exc) not in ZONE_MISSING_CODES:
                return None
            raise self._error(exc, zone, what, record_type) from None
        except AzureError as exc:
            raise self._transport_error(exc, what) from None
        return record_set

    def _put(
        self,
        zone: str,
        relative: str,
        record_set: RecordSet,
        what: str,
        *,
        if_match: str | None = None,
        if_none_match: str | None = None,
        record_type: str = RECORD_TYPE,
    ) -> None:
        try:
            self._client.record_sets.create_or_update(
                self.resource_group,
                zone,
                relative,
                record_type,
                record_set,
                if_match=if_match,
                if_none_match=if_none_match,
            )
        except HttpResponseError as exc:
            if exc.status_code == 412:
                raise _Conflict from None
            if exc.status_code == 404 and _code(exc) not in ZONE_MISSING_CODES:
                raise _Conflict from None  # the set vanished under our If-Match
            raise self._error(exc, zone, what, record_type) from None
        except AzureError as exc:
            raise self._transport_error(exc, what) from None

    def _delete(self, zone: str, relative: str, what: str, *, if_match: str | None) -> None:
        try:
            self._client.record_sets.delete(
                self.resource_group, zone, relative, RECORD_TYPE, if_match=if_match
            )
        except HttpResponseError as exc:
            if exc.status_code == 412:
                raise _Conflict from None
            if exc.status_code == 404 and _code(exc) not in ZONE_MISSING_CODES:
                return  # already gone: nothing of ours is left
            raise self._error(exc, zone, what) from None
        except AzureError as exc:
            raise self._transport_error(exc, what) from None

    # -- errors: one line, naming the resource, never a token ----------------------------

    def _where(self) -> str:
        return f"subscription {self.subscription_id}, resource group {self.resource_group}"

    def _error(
        self, exc: HttpResponseError, zone: str | None, what: str, record_type: str = RECORD_TYPE
    ) -> DnsError:
        status = exc.status_code
        code = _code(exc)
        if isinstance(exc, ClientAuthenticationError) and status is None:
            # raised by the credential itself (no ARM response): sign-in, not permission
            return DnsError(f"{self.describe()}: Azure sign-in failed: {_message(exc)}")
        if status == 403:
            if zone is None:
                return DnsError(
                    f"azure dns: no permission to list DNS zones ({self._where()}): {ROLE_HINT}"
                )
            hint = ROLE_HINT if record_type == RECORD_TYPE else azure_caa.ROLE_HINT
            return DnsError(
                f"azure dns: no permission to write {record_type} records in zone {zone} "
                f"({self._where()}): {hint}"
            )
        if status == 404:
            target = f" / zone {zone}" if zone else ""
            return DnsError(
                f"azure dns: resource group {self.resource_group}{target} not found in "
                f"subscription {self.subscription_id} ({code})"
            )
        if status == 401:
            return DnsError(
                f"{self.describe()}: {what}: ARM rejected the access token (HTTP 401 {code}); "
                "check the Azure sign-in (tenant, client id, federated credential)"
            )
        detail = _message(exc)
        # azure-core's RetryPolicy already retried these; another run may still succeed.
        return DnsError(
            f"{self.describe()}: {what} failed: HTTP {status} {code}"
            + (f": {detail}" if detail else ""),
            transient=status in TRANSIENT_STATUSES,
        )

    def _transport_error(self, exc: AzureError, what: str) -> DnsError:
        return DnsError(
            f"{self.describe()}: {what} failed: cannot reach {self.azure.resolved_arm_endpoint} "
            f"({exc.__class__.__name__}: {_message(exc)})",
            transient=True,
        )
