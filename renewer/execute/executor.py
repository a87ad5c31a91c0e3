"""Runs a Plan: due certificates concurrently, each isolated from the others.

A certificate's failure becomes its Result and never an exception that stops
the pool. Each certificate is locked in its store and re-read after the lock
is taken, so a second run started meanwhile (a dispatch during a scheduled run)
does not issue it twice.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from renewer.acme.client import AcmeFailure
from renewer.acme.protocol import problem_name
from renewer.core import retry
from renewer.core.certs import IssuedChain
from renewer.core.errors import describe_error
from renewer.core.models import (
    Action,
    ActionKind,
    Outcome,
    Plan,
    Result,
    StoredCertificate,
)
from renewer.core.retry import Cancelled, Deadline, Policy
from renewer.core.settings import AcmeSettings, DnsSettings
from renewer.dns.contract import DnsProvider
from renewer.dns.journal import Journal, JournalingProvider, dns_identity
from renewer.dns.propagation import PropagationChecker
from renewer.execute.fallback import first_to_issue, replaces_for, retry_here, same_as_wanted
from renewer.execute.order import OrderContext, obtain
from renewer.execute.services import Services
from renewer.execute.struggle import Struggle
from renewer.plan.foreign import way_out
from renewer.stores.contract import (
    Adopts,
    CertificateStore,
    LockBusy,
    StagesVersions,
    StoreError,
)

log = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 10
DEFAULT_MAX_NEW_ORDERS = 300  # per run; Let's Encrypt allows 300 new orders per 3 hours
DEFAULT_CERT_DEADLINE = retry.DEFAULT_DEADLINE
ORDER_ATTEMPTS = 3
# A transient failure that outlived the request's own retries starts a new order
# after 2 s, then 4 s (or the CA's Retry-After), inside the certificate's deadline.
NEW_ORDER = Policy(attempts=ORDER_ATTEMPTS, first=2.0)
WINDOW_AFTER_ISSUANCE = 3.0  # seconds the renewal-info question after issuance may take


class OrderCapReached(AcmeFailure):
    """The run's new-order cap is used up: the certificate is deferred, not failed."""


class OrderBudget:
    """At most ``limit`` new orders per CA account in this run (the plan's share of it).

    The plan already defers what its budget cannot take (renewer.plan.budget);
    this counts the orders really sent, retries included. ARI renewals with
    ``replaces`` never take from it.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self._by_account: dict[str, int] = {}
        self._lock = threading.Lock()

    def take(self, account: str = "") -> None:
        with self._lock:
            if self._by_account.get(account, 0) >= self.limit:
                raise OrderCapReached(
                    f"new-order cap of {self.limit} per run reached; left for the next run",
                    "orderCap",
                )
            self._by_account[account] = self._by_account.get(account, 0) + 1
            self.used += 1


@dataclass(frozen=True)
class Failure:
    """How one kind of exception becomes a certificate's result."""

    kind: type[Exception]
    outcome: Outcome
    message: Callable[[Any], str] = describe_error
    details: Callable[[Any], dict[str, Any]] = lambda _exc: {}


def _explain(failure: AcmeFailure) -> str:
    """The CA's message, with what to do for permanent problems and rate limits."""
    text = str(failure)
    advice = retry.hint(failure.code)
    if advice:
        return f"{text} (not retried: {advice})"
    if failure.code == "rateLimited":
        after = failure.retry_after
        when = f" in {after:.0f}s" if after is not None else ""
        return f"{text} (the CA asks to retry{when}; the next run tries again)"
    return text


# Exception -> result, first match wins (so a subclass goes above its base). A due
# certificate that is not renewed is never "unchanged": held by another run it is
# blocked (with the holder, which the report escalates near expiry or when the
# holder is not a live renewer), over the run's order cap it is deferred. A new
# kind of result is one row here.
FAILURES: tuple[Failure, ...] = (
    Failure(LockBusy, Outcome.BLOCKED, str, lambda busy: {"holder": busy.holder}),
    Failure(OrderCapReached, Outcome.DEFERRED, str),
    Failure(AcmeFailure, Outcome.FAILED, _explain),
    Failure(Cancelled, Outcome.FAILED, lambda _exc: "cancelled before completion"),
)
OTHERWISE = Failure(Exception, Outcome.FAILED)


def outcome_of(exc: Exception) -> Failure:
    """The row of :data:`FAILURES` that ``exc`` falls under (else: failed, described)."""
    return next((row for row in FAILURES if isinstance(exc, row.kind)), OTHERWISE)


class Executor:
    """Executes the due actions of a plan with bounded concurrency.

    It borrows ``services``: the caller that opened them closes them.
    """

    def __init__(
        self,
        services: Services,
        concurrency: int = DEFAULT_CONCURRENCY,
        cancel: threading.Event | None = None,
        on_result: Callable[[Result], None] = lambda _r: None,
        max_new_orders: int = DEFAULT_MAX_NEW_ORDERS,
        cert_deadline: float = DEFAULT_CERT_DEADLINE,
    ) -> None:
        self.services = services
        self.concurrency = max(1, concurrency)
        self.cancel = cancel or threading.Event()
        self.on_result = on_result
        self.budget = OrderBudget(max_new_orders)
        self._exempt: frozenset[str] = frozenset()
        self.cert_deadline = cert_deadline

    def execute(self, plan: Plan, dry_run: bool = False) -> tuple[Result, ...]:
        results: dict[str, Result] = {}
        held = plan.budgets.deferred if plan.budgets is not None else {}
        self._exempt = plan.budgets.exempt if plan.budgets is not None else frozenset()
        apart = held.keys() | plan.refused.keys()  # deferred or refused: no order
        due = [a for a in plan.actions if a.changes and a.name not in apart]
        for action in plan.actions:
            if action.kind is ActionKind.BLOCKED:  # another tool's: due means due, never unchanged
                results[action.name] = self._report(
                    self._result(action, Outcome.BLOCKED, error=way_out(action.spec, action.stored))
                )
            elif action.changes and action.name in plan.refused:  # the CA cannot issue it
                results[action.name] = self._report(
                    self._result(action, Outcome.FAILED, error=plan.refused[action.name])
                )
            elif action.changes and action.name in held:  # past a rate-limit budget
                results[action.name] = self._report(
                    self._result(action, Outcome.DEFERRED, error=held[action.name])
                )
            elif not action.changes or dry_run:
                outcome = Outcome.PLANNED if action.changes else Outcome.SKIPPED
                results[action.name] = self._report(self._result(action, outcome))
        if not dry_run:
            self.sweep(plan)
        if due and not dry_run:
            with ThreadPoolExecutor(self.concurrency, thread_name_prefix="renew") as pool:
                for action, result in zip(due, pool.map(self._run_guarded, due), strict=True):
                    results[action.name] = result
        return tuple(results[a.name] for a in plan.actions)

    def sweep(self, plan: Plan) -> int:
        """Remove TXT values that killed runs left behind (see renewer.dns.journal)."""
        settings: dict[str, DnsSettings] = {}
        journals: dict[str, Journal] = {}
        for action in plan.actions:
            settings[dns_identity(action.spec.dns)] = action.spec.dns
            try:
                journal = self.services.journal(self.services.stores.get(action.spec.store))
            except Exception as exc:  # an unreachable store fails its certificates later
                log.debug("no journal for %s: %s", action.name, exc)
                continue
            if journal is not None:
                journals[str(journal.folder)] = journal
        removed = 0
        for journal in journals.values():

            def provider(identity: str) -> DnsProvider | None:
                found = settings.get(identity)
                return self.services.provider(found) if found is not None else None

            done, left = journal.sweep(provider)
            removed += done
            if done or left:
                log.warning(
                    "swept %d TXT value(s) left by an interrupted run (%d left)", done, left
                )
        return removed

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
            issuer=stored.directory if stored else None,
            error=error,
            duration=duration,
        )

    def _run_guarded(self, action: Action) -> Result:
        started = time.monotonic()
        struggle = Struggle()
        try:
            result = self._run(action, started, Deadline.after(self.cert_deadline), struggle)
        except Exception as exc:  # one certificate's failure never stops the others
            log.debug("%s: %s", action.name, exc.__class__.__name__, exc_info=True)
            outcome = outcome_of(exc)
            result = self._result(
                action,
                outcome.outcome,
                error=outcome.message(exc),
                duration=time.monotonic() - started,
            )
            result = dataclasses.replace(result, **outcome.details(exc))
        return self._report(dataclasses.replace(result, ca_retried=struggle.counts()))

    def _run(
        self, action: Action, started: float, deadline: Deadline, struggle: Struggle
    ) -> Result:
        if self.cancel.is_set():
            raise Cancelled("run cancelled")
        spec = action.spec
        store = self.services.stores.get(spec.store)
        with store.lock(spec.name):
            current = store.current(spec.name)
            if action.kind is ActionKind.ADOPT:
                return self._adopt(action, store, current, started)
            if _done_meanwhile(action, current):
                return self._result(
                    action,
                    Outcome.SKIPPED,
                    stored=current,
                    reason="already renewed by another run",
                    duration=time.monotonic() - started,
                )
            if isinstance(store, StagesVersions):
                store.sweep_staging(spec.name)
            provider = self.services.provider(spec.dns)
            journal = self.services.journal(store)
            if journal is not None:
                provider = JournalingProvider(provider, journal, dns_identity(spec.dns), spec.name)
            issued = self._issue(store, action, current, provider, deadline, struggle)
        log.info("%s: issued serial %s, valid until %s", spec.name, issued.serial, issued.not_after)
        return self._result(
            action, Outcome.SUCCEEDED, stored=issued, duration=time.monotonic() - started
        )

    def _adopt(
        self,
        action: Action,
        store: CertificateStore,
        current: StoredCertificate | None,
        started: float,
    ) -> Result:
        """Tags only: the certificate another tool issued becomes renewer's (Adopts)."""
        if current is not None and current.managed:
            reason = "already adopted by another run"
            return self._result(action, Outcome.SKIPPED, stored=current, reason=reason)
        if not isinstance(store, Adopts):
            raise StoreError(f"{store.describe()} cannot adopt certificates")
        adopted = store.adopt(action.spec)
        log.info("%s: adopted; renewer renews it from now on", action.name)
        return self._result(
            action, Outcome.SUCCEEDED, stored=adopted, duration=time.monotonic() - started
        )

    def _issue(
        self,
        store: CertificateStore,
        action: Action,
        current: StoredCertificate | None,
        provider: DnsProvider,
        deadline: Deadline,
        struggle: Struggle,
    ) -> StoredCertificate:
        """One CSR, ordered from each listed CA in turn until one issues (execute.fallback).

        At each CA the order is tried again on transient failures while the
        deadline allows; ``replaces`` goes only to the CA that issued the current
        certificate, and an ARI renewal the plan found exempt spends no budget.
        """
        spec = action.spec

        def attempt(issuer: AcmeSettings, csr: bytes, last: bool) -> IssuedChain:
            account = self.services.account(issuer, store)
            ordered = spec.with_issuer(issuer)
            # Before any DNS write: a CAA record that forbids this CA fails it now.
            self.services.caa.require(ordered, account, deadline, self.cancel)
            checker = PropagationChecker(spec.dns.propagation, self.cancel, deadline)
            context = OrderContext(
                account, provider, checker, self.cancel, deadline, on_transient=struggle.note
            )
            replaces = replaces_for(spec, current, issuer)
            free = replaces is not None and issuer == spec.acme and action.name in self._exempt

            def order() -> IssuedChain:
                if not free:
                    self.budget.take(issuer.directory)  # the account actually used
                return obtain(context, ordered, csr, replaces)

            chain = retry.attempt_until(
                order,
                policy=NEW_ORDER,
                deadline=deadline,
                cancel=self.cancel,
                retry_on=lambda error: retry_here(error, last),
                on_retry=lambda error, delay: _new_order(context, spec.name, error, delay),
            )
            chain = _with_window(chain, context, spec.name)
            return dataclasses.replace(chain, issuer=issuer)

        def finalize(csr: bytes) -> IssuedChain:
            return first_to_issue(
                spec.name, spec.issuers, lambda issuer, last: attempt(issuer, csr, last)
            )

        return store.issue(spec, finalize)


def _new_order(context: OrderContext, name: str, error: BaseException, delay: float) -> None:
    """A transient failure that outlived the request's retries: said, counted, ordered again."""
    log.warning("%s: %s; new order in %.1fs", name, error, delay)
    if context.on_transient is not None:
        context.on_transient(problem_name(error))


def _with_window(chain: IssuedChain, context: OrderContext, name: str) -> IssuedChain:
    """The chain with the CA's window for it, asked right after issuance (RFC 9773 4.3).

    The store writes it with the certificate, so the next runs need not ask
    until its Retry-After passes. Advice only: a CA that does not answer within
    a few seconds leaves the chain as it is (and is not marked down for the
    run's other orders); the next run asks.
    """
    if chain.ari_cert_id is None:
        return chain
    remaining = context.deadline.remaining()
    deadline = Deadline.after(min(WINDOW_AFTER_ISSUANCE, max(remaining, 0.0)))
    try:
        info = context.account.renewal_info(chain.ari_cert_id, deadline, advisory=True)
    except Exception as exc:
        log.info("%s: renewal info not fetched after issuance: %s", name, describe_error(exc))
        return chain
    return dataclasses.replace(chain, renewal_info=info) if info is not None else chain


def _done_meanwhile(action: Action, current: StoredCertificate | None) -> bool:
    """True when another run already produced what this action wants."""
    if current is None:
        return False
    if action.kind is ActionKind.ISSUE:
        return same_as_wanted(action.spec, current)
    return (
        action.stored is not None
        and current.serial != action.stored.serial
        and same_as_wanted(action.spec, current)
    )
