"""pebble-challtestsrv's management API, for the local embedded setup.

Its API can add a TXT value (``/set-txt`` appends) but only clear every value
at a name (``/clear-txt``); it has no call that lists or removes one value.

Within this process, a value is only forgotten while others of ours at the
name are still in use, and the name is cleared when the last of ours there is
cleaned up: clearing and re-adding our own survivors would open a window in
which a sibling's value is missing while the CA looks for it. Extra TXT values
never fail a validation, a missing one does.

Values we did not write (a second renewer process, a test, anyone) cannot be
told apart through the management API, so before clearing, the name is read
over DNS (the propagation nameservers, else challtestsrv's default DNS port
8053 on the management host; the first that answers) and every value that is
not one of ours is written back at once. Their absence lasts two HTTP calls
on 127.0.0.1; it cannot be zero with this API (removing them all, the
simple way, would wipe other writers' values). If no server answers, the name
is cleared, with a warning: an extra value of ours would be harmless, but a value left behind
forever is not what a cleanup is for.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from typing import ClassVar
from urllib.parse import urlsplit

import dns.exception
import dns.message
import dns.query
import dns.rdatatype
import requests

from renewer.config.domains import split_host_port
from renewer.config.types.dns_challtestsrv import ChallTestSrvSettings
from renewer.dns.contract import DnsError, DnsProvider, absolute

log = logging.getLogger(__name__)

TIMEOUT = 10.0
READ_TIMEOUT = 2.0  # per server, reading the name back before a clear
DEFAULT_DNS_PORT = 8053  # pebble-challtestsrv's default -dnsserver port


class ChallTestSrvProvider(DnsProvider):
    """TXT values through the challtestsrv management HTTP API."""

    # Shared by every instance: two certificates may write one name at once.
    _values: ClassVar[dict[str, list[str]]] = defaultdict(list)
    _lock: ClassVar[threading.Lock] = threading.Lock()

    # Every value any instance of this process wrote and still holds, per name.
    _ours: ClassVar[dict[str, set[str]]] = defaultdict(set)

    def __init__(self, settings: ChallTestSrvSettings) -> None:
        self.url = settings.url.rstrip("/")
        host = urlsplit(self.url).hostname or "127.0.0.1"
        self.nameservers = settings.propagation.nameservers or (f"{host}:{DEFAULT_DNS_PORT}",)
        # One kept-alive session per provider (a run used to open a connection per
        # POST); the environment (proxies) is read once, not on every request.
        http = requests.Session()
        found = http.merge_environment_settings(self.url, {}, None, None, None)
        http.trust_env = False
        http.proxies = dict(found.get("proxies") or {})
        self._http = http

    def describe(self) -> str:
        return f"challtestsrv {self.url}"

    def _post(self, path: str, body: dict[str, str]) -> None:
        try:
            response = self._http.post(f"{self.url}{path}", json=body, timeout=TIMEOUT)
        except requests.RequestException as exc:
            raise DnsError(f"{self.describe()}: {path} failed: {exc.__class__.__name__}") from None
        if response.status_code != 200:
            raise DnsError(f"{self.describe()}: {path} answered HTTP {response.status_code}")

    def _key(self, fqdn: str) -> str:
        return f"{self.url}|{absolute(fqdn)}"

    def present(self, fqdn: str, value: str) -> None:
        with self._lock:
            self._post("/set-txt", {"host": absolute(fqdn), "value": value})
            self._values[self._key(fqdn)].append(value)
            self._ours[self._key(fqdn)].add(value)

    def _served(self, fqdn: str) -> list[str] | None:
        """The TXT values served at ``fqdn`` now, from the first server that answers."""
        query = dns.message.make_query(absolute(fqdn), dns.rdatatype.TXT)
        for server in self.nameservers:
            try:
                host, port = split_host_port(server, 53)
                answer = dns.query.tcp(query, host, port=port, timeout=READ_TIMEOUT)
            except (OSError, ValueError, dns.exception.DNSException):
                continue
            return [
                b"".join(rdata.strings).decode()
                for rrset in answer.answer
                if rrset.rdtype == dns.rdatatype.TXT
                for rdata in rrset
            ]
        return None

    def cleanup(self, fqdn: str, value: str) -> None:
        with self._lock:
            key = self._key(fqdn)
            values = self._values[key]
            if value in values:
                values.remove(value)
            if values:
                return
            ours = self._ours.pop(key, set()) | {value}
            served = self._served(fqdn)
            if served is None:
                log.warning(
                    "%s: no nameserver answered for %s; clearing it may remove "
                    "values another writer put there",
                    self.describe(),
                    fqdn,
                )
            others = [v for v in served or () if v not in ours]
            self._post("/clear-txt", {"host": absolute(fqdn)})
            for other in others:  # written back: we may only remove our own values
                self._post("/set-txt", {"host": absolute(fqdn), "value": other})
