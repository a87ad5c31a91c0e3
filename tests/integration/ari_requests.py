"""Counting renewal-info (ARI) requests where they leave the process.

Patched at requests' ``Session.send`` so a window answered from the store's
memory and one that reached the CA cannot be confused; the CA sessions and
the Azure SDK's transport both send through it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests


class RenewalInfoRequests:
    """GETs to a renewalInfo URL sent by any requests session in this process."""

    def __init__(self) -> None:
        self.urls: list[str] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.urls)

    def reset(self) -> None:
        with self._lock:
            self.urls.clear()

    def note(self, request: requests.PreparedRequest) -> None:
        if request.method == "GET" and "renewalinfo" in str(request.url).lower():
            with self._lock:
                self.urls.append(str(request.url))


@pytest.fixture
def ari_requests(monkeypatch: pytest.MonkeyPatch) -> Iterator[RenewalInfoRequests]:
    counter = RenewalInfoRequests()
    original = requests.Session.send

    def counted(self: requests.Session, request: requests.PreparedRequest, **kw: Any) -> Any:
        counter.note(request)
        return original(self, request, **kw)

    monkeypatch.setattr(requests.Session, "send", counted)
    yield counter
