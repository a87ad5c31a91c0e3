"""Pure planning: desired specs + stored state + time + CA renewal windows -> Plan.

No I/O happens here, so the plan a pull request shows is the plan the
scheduled run executes, given the same state, and tests need no servers.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import replace
from datetime import datetime

from renewer.core.errors import RenewerError
from renewer.core.models import (
    Action,
    ActionKind,
    CertificateSpec,
    Orphan,
    Plan,
    RenewalInfo,
    StoredCertificate,
)
from renewer.plan.foreign import foreign_action
from renewer.plan.policy import renewal_due


class UnknownCertificate(RenewerError, ValueError):
    """``--only`` named a certificate the config does not define."""


def select(specs: Iterable[CertificateSpec], only: Collection[str]) -> tuple[CertificateSpec, ...]:
    """Keep the specs named by ``--only`` (all when empty); unknown names are an error."""
    specs = tuple(specs)
    if not only:
        return specs
    known = {s.name.lower() for s in specs}
    unknown = sorted(n for n in only if n.lower() not in known)
    if unknown:
        raise UnknownCertificate("unknown certificate name(s): " + ", ".join(unknown))
    wanted = {n.lower() for n in only}
    return tuple(s for s in specs if s.name.lower() in wanted)


def plan(
    specs: Iterable[CertificateSpec],
    stored: Mapping[str, StoredCertificate],
    now: datetime,
    renewal_info: Mapping[str, RenewalInfo] | None = None,
    force: bool = False,
    managed: Collection[str] | None = None,
    no_windows: Collection[str] = (),
    refused: Mapping[str, str] | None = None,
) -> Plan:
    """One action per spec, in config order.

    ``managed`` names every certificate the config defines (default: the specs
    given), so a ``--only`` run does not list the others as unmanaged. Stored
    certificates outside it are listed as unmanaged: the run never touches them.
    ``no_windows`` names the certificates whose CA offers no renewal windows
    (their reasons say so); ``refused`` those the CA cannot issue as configured,
    with why: when due, they go into ``Plan.refused`` and fail without an order.
    """
    renewal_info = renewal_info or {}
    refused = refused or {}
    specs = tuple(specs)
    by_lower = {name.lower(): cert for name, cert in stored.items()}
    actions: list[Action] = []
    failing: dict[str, str] = {}
    for spec in specs:
        current = by_lower.get(spec.name.lower())
        ari = renewal_info.get(spec.name)
        action = _decide(spec, current, ari, now, force, spec.name in no_windows)
        old = by_lower.get((spec.previous_name or "").lower())
        if action.kind is ActionKind.ISSUE and old is not None and old.managed:
            action = replace(
                action,
                reason=f"renamed from {spec.previous_name}: issued under the new name "
                f"({spec.previous_name} is kept, no longer renewed, expires "
                f"{old.not_after:%Y-%m-%d})",
            )
        why = refused.get(spec.name)
        if why is not None and action.kind in (ActionKind.ISSUE, ActionKind.RENEW):
            failing[spec.name] = why
            action = replace(action, reason=f"{action.reason}; fails: {why}")
        actions.append(action)
    known = {n.lower() for n in (managed if managed is not None else [s.name for s in specs])}
    known |= {s.previous_name.lower() for s in specs if s.previous_name}  # renamed, not orphaned
    unmanaged = tuple(sorted(n for n in stored if n.lower() not in known))
    # Renewer's own certificates among them are orphaned: planned, never touched, and
    # reported as their expiry nears (nobody renews them any more).
    orphaned = tuple(
        Orphan(name, stored[name].not_after) for name in unmanaged if stored[name].managed
    )
    return Plan(
        generated_at=now,
        actions=tuple(actions),
        unmanaged=unmanaged,
        orphaned=orphaned,
        refused=failing,
    )


def _decide(
    spec: CertificateSpec,
    current: StoredCertificate | None,
    ari: RenewalInfo | None,
    now: datetime,
    force: bool,
    no_windows: bool = False,
) -> Action:
    if spec.retired:  # before --force: retiring is a decision in the config
        until = f"; it expires {current.not_after:%Y-%m-%d}" if current is not None else ""
        reason = f"retired: renewals stopped on purpose (retired: true){until}"
        return Action(spec.name, ActionKind.SKIP, reason, spec, current)
    if current is None:
        return Action(spec.name, ActionKind.ISSUE, "new certificate", spec)
    if not current.managed:  # another tool's (acmebot's): blocked, or adopted when asked
        return foreign_action(spec, current, ari, now, force)
    if current.damage:
        reason = f"stored certificate damaged: {current.damage}"
        return Action(
            spec.name, ActionKind.RENEW, reason, spec, current if current.dates_known else None
        )
    if force:
        return Action(spec.name, ActionKind.RENEW, "forced renewal (--force)", spec, current)
    decision = renewal_due(current, spec, ari, now, no_windows=no_windows)
    kind = ActionKind.RENEW if decision.due else ActionKind.SKIP
    return Action(spec.name, kind, decision.reason, spec, current, decision.renew_at)
