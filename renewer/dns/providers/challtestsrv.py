"""pebble-challtestsrv's management API, for the local embedded setup.

Its API can add a TXT value but only clear every value at a name. Clearing
and re-adding the survivors would open a window in which a sibling's value is
missing while the CA looks for it, so instead a value is only forgotten while
others at the name are still in use, and the name is cleared when the last of
our values there is cleaned up. Extra TXT values never fail a validation, a
missing one does. Exact within one process (the local demo and tests); not
meant for shared, multi-writer DNS.
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
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def describe(self) -> str:
        return f"challtestsrv {self.url}"

    def _post(self, path: str, body: dict[str, str]) -> None:
        try:
            response = requests.post(f"{self.url}{path}", json=body, timeout=TIMEOUT)
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

    def cleanup(self, fqdn: str, value: str) -> None:
        with self._lock:
            values = self._values[self._key(fqdn)]
            if value in values:
                values.remove(value)
            if not values:
                self._post("/clear-txt", {"host": absolute(fqdn)})
