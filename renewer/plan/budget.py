"""Rate-limit budgets applied to a plan: what the CA would refuse is deferred, with a reason.

Two budgets, both from Let's Encrypt's published limits (the defaults), both
pure arithmetic over the plan and what the stores list:

- new orders per account: ``--max-new-orders`` is the account's budget, not
  each shard's. With ``--shard I/N`` every shard takes its share (the limit
  split as evenly as integers allow, the first ``limit mod N`` shards one
  more), so N shards together never exceed it.
- certificates per registered domain (the Public Suffix List's registrable
  part, bundled: no download) in 7 days, default 50. The CA counts every
  certificate, whoever ordered it; renewer counts what its stores issued in
  the last 7 days (the current version of each name: a name renewed twice in
  the week counts once, so keep headroom if that happens) and defers the new
  certificates that would pass it. A renewal of the same names is let through
  (the CA exempts it from this limit), though it uses room.

An ARI renewal (a stored certificate with an ARI id whose window has opened)
is sent with ``replaces`` and is exempt from both: it spends nothing.
Urgent work is served first: renewals by expiry, then new certificates in
config order.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from renewer.core.budgets import AccountBudget, Budgets, DomainBudget
from renewer.core.models import Action, ActionKind, Plan, RenewalInfo, StoredCertificate
from renewer.plan.shard import Shard

DEFAULT_MAX_NEW_ORDERS = 300  # Let's Encrypt: new orders per account per 3 hours
DEFAULT_PER_DOMAIN = 50  # Let's Encrypt: certificates per registered domain per 7 days
WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class Limits:
    max_new_orders: int = DEFAULT_MAX_NEW_ORDERS
    per_domain: int = DEFAULT_PER_DOMAIN
    shard: Shard | None = None


def share(limit: int, shard: Shard | None) -> int:
    """This shard's part of an account budget; the parts of all shards sum to ``limit``."""
    if shard is None:
        return limit
    base, extra = divmod(limit, shard.count)
    return base + (1 if shard.index <= extra else 0)


@functools.cache
def _psl() -> object:
    from publicsuffixlist import PublicSuffixList  # bundled list: parsed once, offline

    return PublicSuffixList()


def registered_domain(name: str) -> str:
    """``www.example.co.uk`` -> ``example.co.uk`` (a wildcard counts as its base)."""
    host = name.removeprefix("*.").rstrip(".").lower()
    found = _psl().privatesuffix(host)  # type: ignore[attr-defined]
    return str(found) if found else host


def ari_exempt(action: Action, info: RenewalInfo | None, now: datetime) -> bool:
    """A renewal that will carry ``replaces`` inside the CA's window: no budget spent."""
    stored = action.stored
    return bool(
        action.kind is ActionKind.RENEW
        and stored is not None
        and stored.ari_cert_id
        and action.spec.issuer_of(stored) == action.spec.acme  # replaces goes to the first CA
        and info is not None
        and info.start <= now
    )


def _new_names(action: Action) -> bool:
    """True when the CA sees a new certificate (not a renewal of the same names)."""
    if action.kind is ActionKind.ISSUE or action.stored is None:
        return True
    known = action.stored.domains
    return known is not None and set(known) != set(action.spec.domains)


def _issued_recently(
    stored: Iterable[StoredCertificate], plan: Plan, now: datetime
) -> Counter[str]:
    by_name = {a.name.lower(): a.spec.domains for a in plan.actions}
    used: Counter[str] = Counter()
    for cert in stored:
        if not cert.dates_known or cert.not_before < now - WINDOW:
            continue
        names = cert.domains or by_name.get(cert.name.lower()) or ()
        used.update({registered_domain(n) for n in names})
    return used


def _urgency(action: Action) -> tuple[int, datetime | None, int]:
    return (0, action.stored.not_after, 0) if action.stored else (1, None, 0)


def apply(
    plan: Plan,
    stored: Mapping[str, StoredCertificate],
    renewal_info: Mapping[str, RenewalInfo],
    now: datetime,
    limits: Limits = Limits(),
) -> Plan:
    """The plan with ``budgets`` set and the actions past a budget deferred (reason said).

    A refused certificate (``Plan.refused``) sends no order and spends nothing.
    """
    due = [a for a in plan.actions if a.changes and a.name not in plan.refused]
    renewals = sorted((a for a in due if a.stored), key=lambda a: a.stored.not_after)  # type: ignore[union-attr]
    ordered = renewals + [a for a in due if not a.stored]
    issued = _issued_recently(stored.values(), plan, now)
    planned: Counter[str] = Counter()
    held: Counter[str] = Counter()
    orders: Counter[str] = Counter()
    exempt: Counter[str] = Counter()
    deferred: dict[str, str] = {}
    free: set[str] = set()
    allowed = share(limits.max_new_orders, limits.shard)
    for action in ordered:
        directory = action.spec.acme.directory
        if ari_exempt(action, renewal_info.get(action.name), now):
            exempt[directory] += 1
            free.add(action.name)
            continue
        domains = sorted({registered_domain(n) for n in action.spec.domains})
        if _new_names(action):
            full = [d for d in domains if issued[d] + planned[d] >= limits.per_domain]
            if full:
                for d in domains:
                    held[d] += 1
                deferred[action.name] = (
                    f"registered domain {', '.join(full)} has {limits.per_domain} certificates "
                    f"in 7 days (the CA's limit, --per-domain-limit); left for a later run"
                )
                continue
        if orders[directory] >= allowed:
            whose = f"this shard's share ({allowed})" if limits.shard else f"{allowed}"
            deferred[action.name] = (
                f"new-order budget of the account at {directory} spent: {whose} of "
                f"{limits.max_new_orders}; left for the next run"
            )
            continue
        orders[directory] += 1
        planned.update(domains)
    directories = dict.fromkeys(a.spec.acme.directory for a in due)
    shards = limits.shard.count if limits.shard else 1
    budgets = Budgets(
        accounts=tuple(
            AccountBudget(d, limits.max_new_orders, allowed, shards, orders[d], exempt[d])
            for d in directories
        ),
        domains=tuple(
            DomainBudget(d, limits.per_domain, issued[d], planned[d], held[d])
            for d in sorted(set(planned) | set(held))
        ),
        deferred=deferred,
        exempt=frozenset(free),
    )
    actions = tuple(
        replace(a, reason=f"{a.reason}; deferred: {deferred[a.name]}") if a.name in deferred else a
        for a in plan.actions
    )
    return replace(plan, actions=actions, budgets=budgets)
