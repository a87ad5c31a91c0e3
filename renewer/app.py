"""The one-way flow of a run: read stores -> renewal info -> plan -> execute.

The CLI calls these functions and only renders; tests call them directly.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from renewer.core import renewal_window
from renewer.core.errors import describe_error
from renewer.core.models import (
    ActionKind,
    CertificateSpec,
    Outcome,
    Plan,
    RenewalInfo,
    Result,
    StoredCertificate,
)
from renewer.core.retry import Deadline
from renewer.core.settings import StoreSettings
from renewer.execute.executor import Executor
from renewer.execute.remember import remember_windows
from renewer.execute.services import Services
from renewer.plan import planner, shard
from renewer.report.model import RunReport
from renewer.stores.contract import StoreError

if TYPE_CHECKING:
    from renewer.consumers.run import NudgeResult

log = logging.getLogger(__name__)

ARI_CONCURRENCY = 16
# Renewal info is advice: a lookup (with the directory fetch it may need) that
# takes longer falls back to the lifetime rule, and a CA that did not answer
# is not asked again in this run (renewer.acme.transport).
ARI_DEADLINE = 10.0


@dataclass(frozen=True)
class State:
    """What the stores hold, what the CA suggests, and what could not be read.

    ``renewal_info`` holds every window the plan uses; ``asked`` names those
    the CA was asked for in this run (the others were remembered in the store
    and still within their Retry-After), which a renewing run writes back.
    """

    stored: Mapping[str, StoredCertificate]
    renewal_info: Mapping[str, RenewalInfo]
    unreadable: Mapping[str, str] = field(default_factory=dict)  # certificate -> error
    asked: frozenset[str] = frozenset()


def read_state(
    specs: Collection[CertificateSpec], services: Services, refresh: bool = False
) -> State:
    """One listing per store; renewal-info lookups start as listed certificates arrive.

    A store with thousands of certificates pages its listing in slowly (Key
    Vault: 25 per page, one page after the other), so the CA's renewal windows
    are fetched concurrently while the listing is still coming in. A window
    the store remembers is used without asking until its Retry-After passes
    (``refresh``: ask the CA anyway).
    """
    stored: dict[str, StoredCertificate] = {}
    remembered: dict[str, RenewalInfo] = {}
    unreadable: dict[str, str] = {}
    by_store: dict[StoreSettings, list[CertificateSpec]] = {}
    for spec in specs:
        by_store.setdefault(spec.store, []).append(spec)
    by_name = {spec.name.lower(): spec for spec in specs}
    now = datetime.now(UTC)
    with ThreadPoolExecutor(ARI_CONCURRENCY, thread_name_prefix="ari") as pool:
        lookups: dict[str, Future[RenewalInfo | None]] = {}
        for group in by_store.values():
            listed: list[str] = []
            try:
                for current in services.stores.get(group[0].store).iter_current():
                    stored[current.name] = current
                    listed.append(current.name)
                    wanted = by_name.get(current.name.lower())
                    if wanted is None or not _ari_applies(wanted, current, now):
                        continue
                    known = current.renewal_info
                    if known is not None and not refresh and renewal_window.fresh(known, now):
                        remembered[wanted.name] = known
                    else:
                        lookups[wanted.name] = pool.submit(_lookup, wanted, current, services)
            except Exception as exc:
                for spec in group:
                    unreadable[spec.name] = describe_error(exc)
                for name in listed:
                    stored.pop(name, None)
                continue
        found = {name: future.result() for name, future in lookups.items()}
    asked = {name: info for name, info in found.items() if info is not None}
    renewal_info = {
        name: info for name, info in {**remembered, **asked}.items() if name not in unreadable
    }
    if remembered or lookups:
        log.info(
            "renewal info: %d remembered in the store, %d asked of the CA",
            len(remembered),
            len(lookups),
        )
    return State(stored, renewal_info, unreadable, frozenset(asked) - set(unreadable))


def _ari_applies(spec: CertificateSpec, current: StoredCertificate, now: datetime) -> bool:
    """ARI is asked for live certificates the same CA issued and that carry an ARI id."""
    return bool(
        current.ari_cert_id
        and not current.damage
        and current.directory == spec.acme.directory
        and current.not_after > now
    )


def _lookup(
    spec: CertificateSpec, current: StoredCertificate, services: Services
) -> RenewalInfo | None:
    try:
        store = services.stores.get(spec.store)
        account = services.account(spec.acme, store)
        return account.renewal_info(str(current.ari_cert_id), Deadline.after(ARI_DEADLINE))
    except Exception as exc:  # ARI is advice: fall back to the lifetime rule
        log.warning("%s: %s; using the lifetime rule", spec.name, describe_error(exc))
        return None


def make_plan(
    specs: Collection[CertificateSpec],
    services: Services,
    only: Collection[str] = (),
    force: bool = False,
    now: datetime | None = None,
    refresh: bool = False,
) -> tuple[Plan, State]:
    """Read the state and plan; certificates whose store is unreadable are left out."""
    selected = planner.select(specs, only)
    state = read_state(selected, services, refresh)
    acting = [s for s in selected if s.name not in state.unreadable]
    plan = planner.plan(
        acting,
        state.stored,
        now or datetime.now(UTC),
        state.renewal_info,
        force=force,
        managed=[s.name for s in specs],
    )
    return plan, state


def make_shard_plan(
    specs: Collection[CertificateSpec],
    services: Services,
    only: Collection[str],
    force: bool,
    part: shard.Shard,
    refresh: bool = False,
) -> tuple[Plan, State]:
    """``make_plan`` for this shard's part of the ``--only`` selection.

    Unknown ``--only`` names are still an error in every shard. A shard that
    owns no certificate reads no store and returns an empty plan.
    """
    selected = planner.select(specs, only)
    names = shard.split((s.name for s in selected), part)
    if not names:
        return Plan(generated_at=datetime.now(UTC), actions=()), State({}, {})
    return make_plan(specs, services, names, force, refresh=refresh)


def unreadable_results(state: State) -> tuple[Result, ...]:
    """Failed results for certificates whose store could not be listed."""
    return tuple(
        Result(
            name=name,
            action=ActionKind.SKIP,
            reason="store unreadable",
            outcome=Outcome.FAILED,
            error=error,
        )
        for name, error in state.unreadable.items()
    )


def renew(
    plan: Plan,
    state: State,
    executor: Executor,
    dry_run: bool = False,
) -> RunReport:
    """Execute the plan; unreadable stores count as failures in the report.

    Windows asked of the CA for certificates this run leaves alone are written
    back to their stores first, so the next runs need not ask again.
    """
    if not dry_run:
        asked = {name: state.renewal_info[name] for name in state.asked}
        remember_windows(plan, asked, executor.services)
    results = executor.execute(plan, dry_run=dry_run) + unreadable_results(state)
    return RunReport(plan=plan, results=results, dry_run=dry_run)


def revoke(specs: Collection[CertificateSpec], name: str, reason: int, services: Services) -> str:
    """Revoke the current version of ``name`` with its CA; returns the serial."""
    (spec,) = planner.select(specs, [name])
    store = services.stores.get(spec.store)
    current = store.current(spec.name)
    pem = store.certificate_pem(spec.name)
    if current is None or pem is None:
        raise StoreError(f"{store.describe()}: no certificate named {spec.name} to revoke")
    services.account(spec.acme, store).revoke(pem, reason)
    store.mark_revoked(spec.name)
    return current.serial


def nudge(
    plan: Plan, report: RunReport, services: Services, deadline: float, enabled: bool = True
) -> tuple[NudgeResult, ...]:
    """After execute, before verify: ask the consumers of each certificate stored now to
    pick the new version up (renewer/consumers/run.py). Never fails the run: a certificate
    whose new version cannot be read back is listed with its consumers as failed nudges."""
    from renewer.azure.signin import azure_credential
    from renewer.config.types.store_keyvault import KeyVaultSettings
    from renewer.consumers.run import FAILED, NudgeResult, Renewed, nudge_all

    specs = {action.name: action.spec for action in plan.actions}
    renewed: list[Renewed] = []
    unread: list[NudgeResult] = []
    for result in report.results:
        spec = specs.get(result.name)
        if (
            spec is None
            or not spec.consumers
            or result.outcome is not Outcome.SUCCEEDED
            or result.action is ActionKind.SKIP
            or not isinstance(spec.store.backend, KeyVaultSettings)
        ):
            continue
        try:
            current = services.stores.get(spec.store).current(spec.name)
        except Exception as exc:
            why = f"the new version could not be read back: {describe_error(exc)}"
            unread += [
                NudgeResult(spec.name, c.kind, c.resource.name if c.resource else "", FAILED, why)
                for c in spec.consumers
            ]
            continue
        version = (current.version if current else None) or ""
        renewed.append(Renewed(spec.name, version, spec.consumers, spec.store.backend.azure))
    return tuple(unread) + nudge_all(renewed, azure_credential, deadline, enabled=enabled)
