"""Counting renewal-info (ARI) requests where they leave the process.

Patched at urllib3's ``HTTPConnectionPool.urlopen`` so a window answered from
the store's memory and one that reached the CA cannot be confused: the CA
session (urllib3 directly), requests and the Azure SDK's transport all send through it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from urllib3.connectionpool import HTTPConnectionPool


class RenewalInfoRequests:
    """GETs to a renewalInfo URL sent by any HTTP client in this process."""

    def __init__(self) -> None:
        self.urls: list[str] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.urls)

    def reset(self) -> None:
        with self._lock:
            self.urls.clear()

    def note(self, method: str, url: str) -> None:
        if method == "GET" and "renewalinfo" in url.lower():
            with self._lock:
                self.urls.append(url)


@pytest.fixture
def ari_requests(monkeypatch: pytest.MonkeyPatch) -> Iterator[RenewalInfoRequests]:
    counter = RenewalInfoRequests()
    original = HTTPConnectionPool.urlopen

    def counted(self: HTTPConnectionPool, method: str, url: str, *args: Any, **kw: Any) -> Any:
        counter.note(method, url)
        return original(self, method, url, *args, **kw)

    monkeypatch.setattr(HTTPConnectionPool, "urlopen", counted)
    yield counter
