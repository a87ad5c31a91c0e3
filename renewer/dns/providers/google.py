"""Google Cloud DNS through its REST API (v1), signed in with google-auth.

Credentials are Application Default Credentials: ``GOOGLE_APPLICATION_CREDENTIALS``
naming a service-account key or, better, the external-account file that
google-github-actions/auth writes for workload identity federation from the
job's GitHub OIDC token (docs/dns-providers.md), or the metadata server.

Cloud DNS changes record sets through ``changes.create``: one atomic change
holding ``deletions`` and ``additions``, where every deletion must match the
current set exactly or the change fails with 412 ``conditionNotMet``. That
is a compare-and-swap: adding our value deletes the set as read and adds it
with our value; removing it deletes the set as read and adds the rest. A
sibling that wrote in between makes ours fail with 412 (or 409
``alreadyExists`` when both created the set), and we read again and retry,
so no writer, in this process or another, can lose a value. We then wait
for the change to be ``done`` (bounded).

Reference: cloud.google.com/dns/docs/reference/rest/v1 (managedZones.list
with pageToken, resourceRecordSets.list, changes.create, changes.get; the
JSON error body ``{"error": {"code", "message", "errors": [{"reason"}]}}``).
"""

from __future__ import annotations

import contextlib
import json
import threading
from typing import Any
from urllib.parse import quote

import google.auth
import requests
from google.auth import identity_pool
from google.auth.exceptions import GoogleAuthError
from google.auth.transport.requests import AuthorizedSession
from google.oauth2 import service_account

from renewer.config.types.dns_google import GoogleDnsSettings
from renewer.core import retry
from renewer.core.errors import RenewerError
from renewer.dns.contract import DnsError, DnsProvider, absolute, holding_zone
from renewer.dns.providers import httpretry
from renewer.dns.providers.txt import quote_txt, unquote_txt

TTL = 60
SCOPE = "https://www.googleapis.com/auth/ndev.clouddns.readwrite"
MAX_CONFLICTS = 10
CONFLICT = retry.Policy(attempts=MAX_CONFLICTS, first=0.05, factor=2.0, cap=2.0, jitter=True)
DONE_TIMEOUT = 120.0
ROLE_HINT = "grant roles/dns.admin on the zone's project (see docs/dns-providers.md)"
MESSAGE_LIMIT = 200


def _credentials(credentials_file: str | None) -> Any:
    """Credentials from the named file (service account or external account), else ADC."""
    if not credentials_file:
        credentials, _ = google.auth.default(scopes=[SCOPE])
        return credentials
    with open(credentials_file, encoding="utf-8") as handle:
        info = json.load(handle)
    kind = info.get("type") if isinstance(info, dict) else None
    if kind == "service_account":
        return service_account.Credentials.from_service_account_info(info, scopes=[SCOPE])  # type: ignore[no-untyped-call]
    if kind == "external_account":  # workload identity federation (GitHub OIDC)
        return identity_pool.Credentials.from_info(info, scopes=[SCOPE])  # type: ignore[no-untyped-call]
    raise ValueError(f"credentials type {str(kind)[:40]!r} is not service_account/external_account")


def _session(credentials_file: str | None) -> requests.Session:
    """An AuthorizedSession: tokens are fetched and refreshed by google-auth."""
    try:
        credentials = _credentials(credentials_file)
    except (GoogleAuthError, ValueError, OSError) as exc:
        first = str(exc).strip().splitlines()[0][:MESSAGE_LIMIT] if str(exc).strip() else ""
        raise DnsError(
            f"google cloud dns: no usable credentials ({first}); set "
            "GOOGLE_APPLICATION_CREDENTIALS (google-github-actions/auth does this)"
        ) from None
    session: requests.Session = AuthorizedSession(credentials)  # type: ignore[no-untyped-call]
    session.trust_env = False
    return session


class _Conflict(RenewerError):
    """The set changed between our read and our change (412/409): read again."""


class GoogleDnsProvider(DnsProvider):
    """Adds and removes single TXT values in the Cloud DNS zones of one project."""

    def __init__(
        self,
        settings: GoogleDnsSettings,
        *,
        done_timeout: float = DONE_TIMEOUT,
    ) -> None:
        self.project = settings.project
        self.managed_zone = settings.managed_zone
        self.endpoint = settings.endpoint.rstrip("/")
        self.credentials_file = settings.credentials_file
        self.done_timeout = done_timeout
        self._session: requests.Session | None = None
        self._zones: list[tuple[str, str]] | None = None  # (dnsName, zone name), longest first
        self._lock = threading.Lock()

    def describe(self) -> str:
        return f"google cloud dns project {self.project}"

    def _base(self) -> str:
        return f"{self.endpoint}/dns/v1/projects/{quote(self.project, safe='')}"

    def _call(self, method: str, path: str, what: str, **kwargs: Any) -> Any:
        with self._lock:
            if self._session is None:
                self._session = _session(self.credentials_file)
            session = self._session
        try:
            response = httpretry.send(
                session, method, self._base() + path, what=f"{self.describe()}: {what}", **kwargs
            )
        except DnsError:
            raise
        except Exception as exc:  # a token refresh failing inside the session
            raise DnsError(
                f"{self.describe()}: {what}: signing in failed ({exc.__class__.__name__}); "
                "check GOOGLE_APPLICATION_CREDENTIALS and the workload identity pool"
            ) from None
        if response.status_code in (409, 412):
            raise _Conflict
        if response.status_code >= 400:
            raise self._error(response, what)
        return response.json()

    def _error(self, response: requests.Response, what: str) -> DnsError:
        status = response.status_code
        try:
            error = response.json().get("error", {})
        except ValueError:
            error = {}
        reasons = [e.get("reason", "") for e in error.get("errors", []) if isinstance(e, dict)]
        message = str(error.get("message", "")).strip().splitlines()
        detail = message[0][:MESSAGE_LIMIT] if message else ""
        if status in (401, 403):
            return DnsError(
                f"{self.describe()}: {what}: permission refused (HTTP {status} "
                f"{', '.join(reasons) or 'forbidden'}); {ROLE_HINT}"
            )
        if status == 404:
            return DnsError(
                f"{self.describe()}: {what}: not found ({detail}); check dns.project and "
                "dns.managed_zone"
            )
        text = f"{self.describe()}: {what} failed: HTTP {status} {', '.join(reasons)} {detail}"
        return DnsError(
            text.rstrip(),
            transient=status in httpretry.RETRY_STATUSES,
        )

    # -- zones ------------------------------------------------------------------------

    def zones(self) -> list[tuple[str, str]]:
        """(dnsName, zone name) of every public zone in the project, all pages, longest first."""
        if self._zones is None:
            found: list[tuple[str, str]] = []
            params: dict[str, str] = {}
            while True:
                page = self._call("GET", "/managedZones", "listing managed zones", params=params)
                for zone in page.get("managedZones", []):
                    if zone.get("visibility", "public") == "public":
                        found.append((absolute(zone["dnsName"]), str(zone["name"])))
                token = page.get("nextPageToken")
                if not token:
                    break
                params = {"pageToken": str(token)}
            self._zones = sorted(found, key=lambda z: len(z[0]), reverse=True)
        return self._zones

    def locate(self, fqdn: str) -> str:
        """The managed zone's name for ``fqdn`` (the configured one, or by longest suffix)."""
        if self.managed_zone:
            return self.managed_zone
        name = absolute(fqdn)
        zones = self.zones()
        dns_name = holding_zone(name, (d for d, _ in zones))
        if dns_name is not None:
            return next(zone for d, zone in zones if d == dns_name)  # the first listed
        raise DnsError(
            f"{self.describe()}: no public managed zone holds {name}; create one, set "
            "dns.managed_zone, or delegate _acme-challenge by CNAME"
        )

    # -- the contract -----------------------------------------------------------------

    def present(self, fqdn: str, value: str) -> None:
        self._change(fqdn, value, adding=True)

    def cleanup(self, fqdn: str, value: str) -> None:
        self._change(fqdn, value, adding=False)

    def _change(self, fqdn: str, value: str, *, adding: bool) -> None:
        name = absolute(fqdn)
        zone = self.locate(name)
        what = f"{'adding' if adding else 'removing'} TXT at {name}"
        try:
            retry.attempt_until(
                lambda: self._swap(zone, name, value, adding, what),
                policy=CONFLICT,
                retry_on=lambda error: isinstance(error, _Conflict),
            )
        except _Conflict:
            raise DnsError(
                f"{self.describe()}: {what} failed: the record set kept changing "
                f"({MAX_CONFLICTS} conflicting changes)",
                transient=True,
            ) from None

    def _swap(self, zone: str, name: str, value: str, adding: bool, what: str) -> bool:
        """One compare-and-swap of the TXT set; False when nothing needed changing."""
        listed = self._call(
            "GET",
            f"/managedZones/{quote(zone, safe='')}/rrsets",
            f"reading TXT {name}",
            params={"name": name, "type": "TXT"},
        )
        current = next((s for s in listed.get("rrsets", []) if absolute(s["name"]) == name), None)
        rrdatas = list(current.get("rrdatas", [])) if current else []
        values = [unquote_txt(r) for r in rrdatas]
        if adding == (value in values):
            return False
        if adding:
            kept = [*rrdatas, quote_txt(value)]
        else:
            kept = [r for r in rrdatas if unquote_txt(r) != value]
        change: dict[str, Any] = {"kind": "dns#change"}
        if current is not None:
            change["deletions"] = [current]  # must match exactly: our compare
        if kept:
            ttl = current.get("ttl", TTL) if current else TTL
            change["additions"] = [{"name": name, "type": "TXT", "ttl": ttl, "rrdatas": kept}]
        made = self._call(
            "POST", f"/managedZones/{quote(zone, safe='')}/changes", what, json=change
        )
        self._wait_done(zone, made)
        return True

    def _wait_done(self, zone: str, change: dict[str, Any]) -> None:
        """Poll changes.get until ``done``; past ``done_timeout`` the propagation check decides."""
        path = f"/managedZones/{quote(zone, safe='')}/changes/{quote(str(change['id']), safe='')}"

        def done() -> None:
            status = self._call("GET", path, "waiting for the change").get("status")
            if status != "done":
                raise retry.NotYet(f"change {change['id']} is {status}")

        if change.get("status") == "done":
            return
        with contextlib.suppress(retry.NotYet):
            retry.attempt_until(
                done,
                policy=retry.Policy(first=0.5, factor=1.5, cap=5.0, poll=True),
                deadline=retry.Deadline.after(self.done_timeout),
                retry_on=lambda error: isinstance(error, retry.NotYet),
            )
