"""Amazon Route 53 through boto3, credentials from the standard AWS chain.

The chain covers GitHub Actions without stored keys: with ``AWS_ROLE_ARN``
and ``AWS_WEB_IDENTITY_TOKEN_FILE`` set (aws-actions/configure-aws-credentials
does this from the job's OIDC token) botocore calls AssumeRoleWithWebIdentity
itself; docs/dns-providers.md has the role's trust policy and the one-zone
IAM policy.

``ChangeResourceRecordSets`` writes a record set as a whole: UPSERT with the
complete value list, or DELETE with the exact current set. Route 53 has no
ETag or If-Match, so adding our value is a read-modify-write guarded by
``valueset.change_value``: writers of one name in this process take turns,
the set is re-read right before every write, and read again after it to
verify our change held (redone, bounded, if another writer replaced it).
Across processes the gap between another writer's read and its UPSERT stays
open; the verify read and the propagation check narrow it to a failed
validation, never to a foreign value we deleted (we only write back what we
read, plus or minus our own value).

A change is PENDING until every Route 53 server has it: we wait for INSYNC
(GetChange, bounded by ``insync_timeout``), then the propagation check asks
the zone's servers themselves. Throttling and PriorRequestNotComplete are
retried by botocore's "standard" retry mode (exponential backoff, jitter).

References: the Route 53 API Reference (ChangeResourceRecordSets,
ListResourceRecordSets, ListHostedZones with Marker/NextMarker,
GetChange) and botocore's retry documentation.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from renewer.config.types.dns_route53 import Route53Settings
from renewer.core import retry
from renewer.dns.contract import DnsError, DnsProvider, absolute, holding_zone
from renewer.dns.providers.txt import quote_txt, unquote_txt
from renewer.dns.providers.valueset import change_value

log = logging.getLogger(__name__)

TTL = 60
MAX_ATTEMPTS = 8  # botocore's count, first try included
INSYNC_POLL = 2.0
CREDENTIAL_CODES = frozenset(
    {
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "UnrecognizedClientException",
        "InvalidAccessKeyId",
        "IncompleteSignature",
    }
)
TRANSIENT_CODES = frozenset({"Throttling", "PriorRequestNotComplete", "ServiceUnavailable"})
POLICY_HINT = "allow route53:ChangeResourceRecordSets (see docs/dns-providers.md)"
MESSAGE_LIMIT = 200


def _escape(name: str) -> str:
    """Route 53 returns ``*`` as ``\\052`` in names; compare names in one form."""
    return name.replace("\\052", "*").lower()


class Route53Provider(DnsProvider):
    """Adds and removes single TXT values in public Route 53 hosted zones."""

    def __init__(
        self,
        settings: Route53Settings,
        *,
        page_size: int = 100,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self.hosted_zone_id = settings.hosted_zone_id
        self.endpoint_url = settings.endpoint_url
        self.insync_timeout = settings.insync_timeout
        self.page_size = page_size
        config = Config(
            retries={"mode": "standard", "total_max_attempts": max_attempts},
            connect_timeout=10,
            read_timeout=30,
        )
        self._client: Any = boto3.session.Session().client(
            "route53",
            region_name=settings.region,
            endpoint_url=settings.endpoint_url,
            verify=str(settings.ca_bundle) if settings.ca_bundle else None,
            config=config,
        )
        self._zones: list[tuple[str, str]] | None = None  # (name, id), longest first
        self._zones_lock = threading.Lock()

    def describe(self) -> str:
        return "route53" + (f" {self.endpoint_url}" if self.endpoint_url else "")

    # -- errors -----------------------------------------------------------------------

    def _error(self, exc: Exception, what: str, zone: str | None) -> DnsError:
        where = f" (zone {zone})" if zone else ""
        if isinstance(exc, NoCredentialsError):
            return DnsError(
                f"{self.describe()}: {what}: no AWS credentials found; in GitHub Actions "
                "set AWS_ROLE_ARN with id-token: write (OIDC), elsewhere AWS_PROFILE or keys"
            )
        if not isinstance(exc, ClientError):
            first = str(exc).strip().splitlines()[0][:MESSAGE_LIMIT] if str(exc).strip() else ""
            return DnsError(
                f"{self.describe()}: {what} failed: {exc.__class__.__name__}: {first}",
                transient=True,
            )
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        message = str(error.get("Message", "")).strip().splitlines()
        detail = message[0][:MESSAGE_LIMIT] if message else ""
        if code in CREDENTIAL_CODES:
            return DnsError(
                f"{self.describe()}: {what}: AWS rejected the credentials ({code}); "
                "check the role or keys the AWS credential chain found"
            )
        if code in ("AccessDenied", "AccessDeniedException"):
            return DnsError(
                f"{self.describe()}: {what}: permission refused{where} ({code}); {POLICY_HINT}"
            )
        if code == "NoSuchHostedZone":
            return DnsError(
                f"{self.describe()}: hosted zone {zone or self.hosted_zone_id} not found; "
                "fix dns.hosted_zone_id or create the zone"
            )
        return DnsError(
            f"{self.describe()}: {what} failed{where}: {code}" + (f": {detail}" if detail else ""),
            transient=code in TRANSIENT_CODES,
        )

    # -- zones ------------------------------------------------------------------------

    def zones(self) -> list[tuple[str, str]]:
        """Public hosted zones (name, id), longest name first; listed once, all pages."""
        with self._zones_lock:
            if self._zones is None:
                found: list[tuple[str, str]] = []
                pages = self._client.get_paginator("list_hosted_zones").paginate(
                    PaginationConfig={"PageSize": self.page_size}
                )
                try:
                    for page in pages:  # Marker / NextMarker, followed by botocore
                        for zone in page.get("HostedZones", []):
                            if not zone.get("Config", {}).get("PrivateZone", False):
                                found.append((_escape(absolute(zone["Name"])), zone["Id"]))
                except (ClientError, BotoCoreError) as exc:
                    raise self._error(exc, "listing hosted zones", None) from None
                self._zones = sorted(found, key=lambda z: len(z[0]), reverse=True)
            return self._zones

    def locate(self, fqdn: str) -> tuple[str, str]:
        """(zone name, hosted zone id) by longest suffix, or the configured zone."""
        name = absolute(fqdn)
        if self.hosted_zone_id:
            return self.hosted_zone_id, self.hosted_zone_id
        zones = self.zones()
        zone = holding_zone(name, (z for z, _ in zones))
        if zone is not None:
            zone_id = next(i for z, i in zones if z == zone)  # the first listed of that name
            return zone, zone_id.split("/")[-1]
        raise DnsError(
            f"{self.describe()}: no public hosted zone holds {name}; create one, set "
            "dns.hosted_zone_id, or delegate _acme-challenge by CNAME"
        )

    # -- the contract -----------------------------------------------------------------

    def present(self, fqdn: str, value: str) -> None:
        self._change(fqdn, value, adding=True)

    def cleanup(self, fqdn: str, value: str) -> None:
        self._change(fqdn, value, adding=False)

    def _change(self, fqdn: str, value: str, *, adding: bool) -> None:
        name = absolute(fqdn)
        zone, zone_id = self.locate(name)
        current: dict[str, Any] = {}  # the set as last read (TTL, raw records)

        def read() -> list[str]:
            try:
                page = self._client.list_resource_record_sets(
                    HostedZoneId=zone_id, StartRecordName=name, StartRecordType="TXT", MaxItems="1"
                )
            except (ClientError, BotoCoreError) as exc:
                raise self._error(exc, f"reading TXT {name}", zone) from None
            current.clear()
            for rrset in page.get("ResourceRecordSets", []):
                same = _escape(absolute(rrset["Name"])) == name and rrset["Type"] == "TXT"
                if same and "SetIdentifier" not in rrset:
                    current.update(rrset)
            records = current.get("ResourceRecords", [])
            return [unquote_txt(r["Value"]) for r in records]

        def write(values: list[str]) -> None:
            raw = {unquote_txt(r["Value"]): r for r in current.get("ResourceRecords", [])}
            if values:
                records = [raw.get(v) or {"Value": quote_txt(v)} for v in values]
                action = "UPSERT"
                rrset = {"Name": name, "Type": "TXT", "TTL": current.get("TTL", TTL)}
                rrset["ResourceRecords"] = records
            else:  # DELETE must name the set exactly as it is
                action = "DELETE"
                rrset = {k: current[k] for k in ("Name", "Type", "TTL", "ResourceRecords")}
            what = f"{'adding' if adding else 'removing'} TXT at {name}"
            batch = {
                "Comment": "renewer DNS-01",
                "Changes": [{"Action": action, "ResourceRecordSet": rrset}],
            }
            try:
                answer = self._client.change_resource_record_sets(
                    HostedZoneId=zone_id, ChangeBatch=batch
                )
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code")
                if action == "DELETE" and code == "InvalidChangeBatch":
                    return  # the set changed since our read: the verify read redoes it
                raise self._error(exc, what, zone) from None
            except BotoCoreError as exc:
                raise self._error(exc, what, zone) from None
            self._wait_insync(answer["ChangeInfo"], zone)

        change_value(
            f"route53|{self.endpoint_url}|{zone_id}|{name}",
            value,
            adding=adding,
            read=read,
            write=write,
            what=f"{self.describe()}: TXT at {name}",
        )

    def _wait_insync(self, info: dict[str, Any], zone: str) -> None:
        """Poll GetChange until INSYNC; past ``insync_timeout`` the propagation check decides."""
        state = {"info": info}

        def insync() -> None:
            if state["info"].get("Status") == "INSYNC":
                return
            try:
                state["info"] = self._client.get_change(Id=info["Id"])["ChangeInfo"]
            except (ClientError, BotoCoreError) as exc:
                raise self._error(exc, "waiting for the change", zone) from None
            if state["info"].get("Status") != "INSYNC":
                raise retry.NotYet(f"change {info.get('Id')} is {state['info'].get('Status')}")

        if info.get("Status") == "INSYNC":
            return
        try:
            retry.attempt_until(
                insync,
                policy=retry.Policy(first=INSYNC_POLL, factor=1.0, cap=INSYNC_POLL, poll=True),
                deadline=retry.Deadline.after(self.insync_timeout),
                retry_on=lambda error: isinstance(error, retry.NotYet),
            )
        except retry.NotYet as still:
            log.warning(
                "%s: %s after %.0fs; continuing with the propagation check",
                self.describe(),
                still,
                self.insync_timeout,
            )
