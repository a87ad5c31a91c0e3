"""pebble-challtestsrv's management API, for the local embedded setup.

Its API can add a TXT value but only clear every value at a name. Clearing
and re-adding the survivors would open a window in which a sibling's value is
missing while the CA looks for it, so instead a value is only forgotten while
others at the name are still in use, and the name is cleared when the last of
our values there is cleaned up. Extra TXT values never fail a validation, a
missing one does. Exact within one process (the local demo and tests); not
meant for shared, multi-writer DNS.

One kept-alive session per provider (a run used to open a connection per
POST), and a lock per name rather than one for every name: certificates
writing different names no longer wait for each other's requests.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import ClassVar

import requests

from renewer.dns.contract import DnsError, DnsProvider, absolute

TIMEOUT = 10.0


class ChallTestSrvProvider(DnsProvider):
    """TXT values through the challtestsrv management HTTP API."""

    # Shared by every instance: two certificates may write one name at once.
    _values: ClassVar[dict[str, list[str]]] = defaultdict(list)
    _names: ClassVar[dict[str, threading.Lock]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()  # guards _names only

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        http = requests.Session()
        found = http.merge_environment_settings(self.url, {}, None, None, None)
        http.trust_env = False  # the environment is read once, not per request
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

    def _name_lock(self, key: str) -> threading.Lock:
        """The lock of one name: a clear must not overtake a sibling's set there."""
        with self._lock:
            return self._names.setdefault(key, threading.Lock())

    def present(self, fqdn: str, value: str) -> None:
        key = self._key(fqdn)
        with self._name_lock(key):
            self._post("/set-txt", {"host": absolute(fqdn), "value": value})
            self._values[key].append(value)

    def cleanup(self, fqdn: str, value: str) -> None:
        key = self._key(fqdn)
        with self._name_lock(key):
            values = self._values[key]
            if value in values:
                values.remove(value)
            if not values:
                self._post("/clear-txt", {"host": absolute(fqdn)})
