"""Per-run clients, shared by every certificate of one run.

One store, one ACME account and one DNS provider per distinct setting: a run
of a thousand certificates in one vault signs in once and keeps one CA
session per account. Settings are frozen and hashable, so "distinct" is plain
equality. The executor, the dns-persist-01 use case and the planning stage's
store reads all take the same object.

Whoever opens a ``Services`` closes it (``with Services(...) as services:``):
the executor and the use cases it is handed to only borrow it, so a caller
can still read its stores (verify, after the renewals) before closing.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

from renewer.acme.client import AcmeAccount
from renewer.acme.transport import CaHealth
from renewer.core.cache import Cache
from renewer.core.settings import AcmeSettings, DnsSettings
from renewer.dns.contract import DnsProvider
from renewer.dns.journal import Journal
from renewer.dns.registry import make_provider
from renewer.execute.accounts import AccountGuard
from renewer.execute.caa import CaaGuard
from renewer.stores.contract import CertificateStore, KeepsJournal
from renewer.stores.registry import StoreRegistry


class Services:
    """Shared per-run clients: one store, account and DNS provider per distinct setting."""

    def __init__(
        self,
        stores: StoreRegistry | None = None,
        state_dir: Path | None = None,
        new_account: bool = False,
    ) -> None:
        self.stores = stores or StoreRegistry()
        self.new_account = new_account  # --new-account: register even where certificates are
        self.state_dir = state_dir
        self._accounts: Cache[tuple[str, str], AcmeAccount] = Cache()
        self._providers: Cache[DnsSettings, DnsProvider] = Cache()
        self._journals: Cache[str, Journal] = Cache()
        # One down list per run: a CA that stopped answering for one certificate
        # (or one renewal-info lookup) fails every later one at once.
        self.ca_health = CaHealth()
        # CAA sets looked up once per run (plan and orders); written with dns.manage_caa.
        self.caa = CaaGuard(self.provider)

    def journal(self, store: CertificateStore) -> Journal | None:
        """The TXT journal for certificates kept in ``store`` (None: not journalled).

        A directory store keeps it in its root; other stores in ``state_dir``.
        """
        if isinstance(store, KeepsJournal):
            folder = Path(store.journal_dir())
        elif self.state_dir is not None:
            folder = self.state_dir / "journal"
        else:
            return None
        return self._journals.get(str(folder.resolve()), lambda: Journal(folder))

    def close(self) -> None:
        """Release this run's journals (their run locks): the owner calls it once, at the end."""
        for journal in self._journals.values():
            journal.close()

    def __enter__(self) -> Services:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def account(self, settings: AcmeSettings, store: CertificateStore) -> AcmeAccount:
        key = (settings.directory, store.describe())  # one account per CA and store
        return self._accounts.get(key, lambda: self._open_account(settings, store))

    def _open_account(self, settings: AcmeSettings, store: CertificateStore) -> AcmeAccount:
        account = AcmeAccount(settings, store, self.ca_health)
        account.before_register = AccountGuard(settings, store, self.new_account)
        return account

    def provider(self, settings: DnsSettings) -> DnsProvider:
        return self._providers.get(settings, lambda: make_provider(settings))
