"""Runs a Plan: due certificates concurrently, each isolated from the others.

A certificate's failure becomes its Result and never an exception that stops
the pool. Each certificate is locked in its store and re-read after the lock
is taken, so a second run started meanwhile (a dispatch during a scheduled run)
does not issue it twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from renewer.acme_client import AcmeAccount
from renewer.dns import DnsProvider, make_provider
from renewer.dns.propagation import Cancelled, PropagationChecker
from renewer.errors import describe_error
from renewer.models import (
    AcmeSettings,
    Action,
    ActionKind,
    DnsSettings,
    Outcome,
    Plan,
    Result,
    StoredCertificate,
)
from renewer.order import OrderContext, obtain
from renewer.stores import CertificateStore, StoreRegistry

log = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 10


def _dns_key(settings: DnsSettings) -> str:
    return f"{settings.type}:{sorted(settings.options.items())!r}"


class Services:
    """Shared per-run clients: one store, account and DNS provider per distinct setting."""

    def __init__(self, stores: StoreRegistry | None = None) -> None:
        self.stores = stores or StoreRegistry()
        self._accounts: dict[tuple[str, str], AcmeAccount] = {}
        self._providers: dict[str, DnsProvider] = {}
        self._lock = threading.Lock()

    def account(self, settings: AcmeSettings, store: CertificateStore) -> AcmeAccount:
        key = (settings.directory, store.describe())
        with self._lock:
            if key not in self._accounts:
                self._accounts[key] = AcmeAccount(settings, store)
            return self._accounts[key]

    def provider(self, settings: DnsSettings) -> DnsProvider:
        key = _dns_key(settings)
        with self._lock:
            if key not in self._providers:
                self._providers[key] = make_provider(settings)
            return self._providers[key]


class Executor:
    """Executes the due actions of a plan with bounded concurrency."""

    def __init__(
        self,
        services: Services,
        concurrency: int = DEFAULT_CONCURRENCY,
        cancel: threading.Event | None = None,
        on_result: Callable[[Result], None] = lambda _r: None,
    ) -> None:
        self.services = services
        self.concurrency = max(1, concurrency)
        self.cancel = cancel or threading.Event()
        self.on_result = on_result

    def execute(self, plan: Plan, dry_run: bool = False) -> tuple[Result, ...]:
        results: dict[str, Result] = {}
        due = [a for a in plan.actions if a.changes]
        for action in plan.actions:
            if not action.changes or dry_run:
                outcome = Outcome.PLANNED if action.changes else Outcome.SKIPPED
                results[action.name] = self._report(self._result(action, outcome))
        if due and not dry_run:
            with ThreadPoolExecutor(self.concurrency, thread_name_prefix="renew") as pool:
                for action, result in zip(due, pool.map(self._run_guarded, due), strict=True):
                    results[action.name] = result
        return tuple(results[a.name] for a in plan.actions)

    def _report(self, result: Result) -> Result:
        self.on_result(result)
        return result

    @staticmethod
    def _result(
        action: Action,
        outcome: Outcome,
        stored: StoredCertificate | None = None,
        error: str | None = None,
        duration: float = 0.0,
        reason: str | None = None,
    ) -> Result:
        stored = stored or action.stored
        return Result(
            name=action.name,
            action=action.kind,
            reason=reason or action.reason,
            outcome=outcome,
            serial=stored.serial if stored else None,
            not_after=stored.not_after if stored else None,
            error=error,
            duration=duration,
        )

    def _run_guarded(self, action: Action) -> Result:
        started = time.monotonic()
        try:
            result = self._run(action, started)
        except Cancelled:
            result = self._result(
                action,
                Outcome.FAILED,
                error="cancelled before completion",
                duration=time.monotonic() - started,
            )
        except Exception as exc:  # one certificate's failure never stops the others
            log.debug("%s failed", action.name, exc_info=True)
            result = self._result(
                action,
                Outcome.FAILED,
                error=describe_error(exc),
                duration=time.monotonic() - started,
            )
        return self._report(result)

    def _run(self, action: Action, started: float) -> Result:
        if self.cancel.is_set():
            raise Cancelled("run cancelled")
        spec = action.spec
        store = self.services.stores.get(spec.store)
        with store.lock(spec.name):
            current = store.current(spec.name)
            if _done_meanwhile(action, current):
                return self._result(
                    action,
                    Outcome.SKIPPED,
                    stored=current,
                    reason="already renewed by another run",
                    duration=time.monotonic() - started,
                )
            context = OrderContext(
                account=self.services.account(spec.acme, store),
                provider=self.services.provider(spec.dns),
                checker=PropagationChecker(spec.dns.propagation, self.cancel),
                cancel=self.cancel,
            )
            replaces = current.ari_cert_id if current else None
            issued = store.issue(spec, lambda csr: obtain(context, spec, csr, replaces))
        log.info("%s: issued serial %s, valid until %s", spec.name, issued.serial, issued.not_after)
        return self._result(
            action, Outcome.SUCCEEDED, stored=issued, duration=time.monotonic() - started
        )


def _done_meanwhile(action: Action, current: StoredCertificate | None) -> bool:
    """True when another run already produced what this action wants."""
    if current is None:
        return False
    if action.kind is ActionKind.ISSUE:
        return current.fingerprint == action.spec.fingerprint()
    return (
        action.stored is not None
        and current.serial != action.stored.serial
        and (current.fingerprint == action.spec.fingerprint())
    )
