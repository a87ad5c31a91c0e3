"""Never silently a new ACME account where the store holds that account's certificates.

The account URL is an identity others pin to: CAA ``accounturi`` records and
dns-persist-01 standing records name it, and a CA's rate-limit exemptions
are granted per account. A run that lost the account (its secret deleted, a
store moved, a CA that forgot it) and quietly registered another would break
every such binding at once, and the first sign would be failed orders later.
So before registering, the store is asked whether it holds certificates
issued by this CA: if it does, the account is missing rather than never
made, and the run refuses unless told ``--new-account``; the refusal fails
those orders with a reason the report shows.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from renewer.acme.failures import AcmeFailure
from renewer.core.errors import describe_error
from renewer.core.settings import AcmeSettings
from renewer.stores.contract import CertificateStore

log = logging.getLogger(__name__)


class NewAccountRefused(AcmeFailure):
    """The store holds this CA's certificates under an account it cannot find."""


def issued_by(store: CertificateStore, directory: str) -> int:
    """How many current certificates in ``store`` the CA at ``directory`` issued."""
    return sum(1 for cert in store.iter_current() if cert.directory == directory)


@dataclass
class AccountGuard:
    """One guard per account setting and store; its verdict is kept for the run."""

    settings: AcmeSettings
    store: CertificateStore
    allow_new: bool = False

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._refusal: str | None = None
        self._checked = False

    def __call__(self, why: str) -> None:
        """Called by the account just before it registers; raises to refuse."""
        directory = self.settings.directory
        with self._lock:
            if not self._checked:
                self._checked = True
                self._refusal = self._judge(why)
        if self._refusal is not None:
            raise NewAccountRefused(self._refusal, "accountMissing")
        log.warning("registering a new ACME account at %s (%s)", directory, why)

    def _judge(self, why: str) -> str | None:
        directory = self.settings.directory
        try:
            held = issued_by(self.store, directory)
        except Exception as exc:  # cannot tell: the safe answer is no new account
            held, cause = -1, describe_error(exc)
        else:
            cause = ""
        if held == 0:
            return None
        if self.allow_new:
            log.warning(
                "%s holds %s certificate(s) of %s but not their account (%s): a new account "
                "is registered as --new-account asks; CAA accounturi and dns-persist-01 "
                "records that name the old account URL must be updated",
                self.store.describe(),
                held if held > 0 else "perhaps",
                directory,
                why,
            )
            return None
        what = (
            f"holds {held} certificate(s) issued by {directory}"
            if held > 0
            else f"could not be listed to tell whether it holds certificates of {directory} "
            f"({cause})"
        )
        return (
            f"no new ACME account registered: {self.store.describe()} {what} under an "
            f"account it cannot find ({why}); a new account would break CAA accounturi and "
            "dns-persist-01 records naming the old one. Restore the account secret, or run "
            "renew --new-account"
        )


def each_account(
    pairs: Iterator[tuple[AcmeSettings, CertificateStore]],
) -> Iterator[tuple[AcmeSettings, CertificateStore]]:
    """Distinct (CA, store) pairs, in first-seen order."""
    seen: set[tuple[str, str]] = set()
    for settings, store in pairs:
        key = (settings.directory, store.describe())
        if key not in seen:
            seen.add(key)
            yield settings, store
