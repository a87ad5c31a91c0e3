"""Per-run clients, shared by every certificate of one run.

One store, one ACME account and one DNS provider per distinct setting: a run
of a thousand certificates in one vault signs in once and keeps one CA
session per account. The executor, the dns-persist-01 use case and the
planning stage's store reads all take the same object.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from renewer.acme.client import AcmeAccount
from renewer.acme.transport import CaHealth
from renewer.core.models import AcmeSettings, DnsSettings
from renewer.dns.contract import DnsProvider
from renewer.dns.journal import Journal
from renewer.dns.registry import make_provider
from renewer.stores.contract import CertificateStore
from renewer.stores.registry import StoreRegistry


def _dns_key(settings: DnsSettings) -> str:
    return f"{settings.type}:{sorted(settings.options.items())!r}"


def dns_identity(settings: DnsSettings) -> str:
    """A stable name for a DNS setting, as written in the journal."""
    return hashlib.sha256(_dns_key(settings).encode()).hexdigest()[:24]


class Services:
    """Shared per-run clients: one store, account and DNS provider per distinct setting."""

    def __init__(self, stores: StoreRegistry | None = None, state_dir: Path | None = None) -> None:
        self.stores = stores or StoreRegistry()
        self.state_dir = state_dir
        self._accounts: dict[tuple[str, str], AcmeAccount] = {}
        self._providers: dict[str, DnsProvider] = {}
        self._journals: dict[str, Journal] = {}
        self._lock = threading.Lock()
        # One down list per run: a CA that stopped answering for one certificate
        # (or one renewal-info lookup) fails every later one at once.
        self.ca_health = CaHealth()

    def journal(self, store: CertificateStore) -> Journal | None:
        """The TXT journal for certificates kept in ``store`` (None: not journalled).

        A directory store keeps it in its root; other stores in ``state_dir``.
        """
        folder_of = getattr(store, "journal_dir", None)
        if callable(folder_of):
            folder = Path(folder_of())
        elif self.state_dir is not None:
            folder = self.state_dir / "journal"
        else:
            return None
        with self._lock:
            key = str(folder.resolve())
            if key not in self._journals:
                self._journals[key] = Journal(folder)
            return self._journals[key]

    def close(self) -> None:
        with self._lock:
            for journal in self._journals.values():
                journal.close()

    def account(self, settings: AcmeSettings, store: CertificateStore) -> AcmeAccount:
        key = (settings.directory, store.describe())
        with self._lock:
            if key not in self._accounts:
                self._accounts[key] = AcmeAccount(settings, store, self.ca_health)
            return self._accounts[key]

    def provider(self, settings: DnsSettings) -> DnsProvider:
        key = _dns_key(settings)
        with self._lock:
            if key not in self._providers:
                self._providers[key] = make_provider(settings)
            return self._providers[key]
