"""The one function that decides whether a stored certificate is due.

Every renewal decision in the product goes through ``renewal_due`` so that the
reason printed in a plan is exactly the rule that fired (certmagic's lesson).
It is pure: time, state and the CA's renewal window come in as arguments.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from renewer.core.models import CertificateSpec, RenewalInfo, StoredCertificate
from renewer.core.timefmt import minute, span

EMERGENCY_FRACTION = 1 / 20
EMERGENCY_FLOOR = timedelta(days=3)
DEFAULT_REMAINING_FRACTION = 1 / 3


@dataclass(frozen=True)
class Decision:
    """Whether to renew now, why, and (when not yet) the moment it becomes due."""

    due: bool
    reason: str
    renew_at: datetime | None = None


def describe_delta(delta: timedelta) -> str:
    """Human wording for a span: '12 days', '5 hours', '40 minutes' (``timefmt.span``)."""
    return span(delta)


def config_changes(spec: CertificateSpec, stored: StoredCertificate) -> list[str]:
    """What differs between the desired spec and what was issued, in words.

    The fingerprint decides; the recorded fields only explain. The issuer compared
    with is the listed one that issued ``stored`` (a fallback CA's certificate is
    what the config asks for), else the first. Stores that keep
    the issued details report them field by field; stores that keep only the
    fingerprint (Key Vault tags) get a generic, still truthful reason.
    """
    own = spec.issuer_of(stored)  # any listed issuer is no change: fallback CAs stay
    issued = spec.with_issuer(own) if own is not None else spec
    if stored.fingerprint is not None and stored.fingerprint == issued.fingerprint():
        return []
    changes: list[str] = []
    if stored.domains is not None and set(stored.domains) != set(spec.domains):
        added = sorted(set(spec.domains) - set(stored.domains))
        removed = sorted(set(stored.domains) - set(spec.domains))
        delta = [f"+{d}" for d in added] + [f"-{d}" for d in removed]
        changes.append("domains changed: " + ", ".join(delta))
    if stored.key is not None and stored.key != spec.key:
        changes.append(f"key type changed: {stored.key} -> {spec.key}")
    if stored.fingerprint is not None and stored.profile != issued.acme.profile:
        old, new = stored.profile or "default", issued.acme.profile or "default"
        changes.append(f"profile changed: {old} -> {new}")
    if stored.directory is not None and own is None:
        changes.append(f"CA changed: {stored.directory} -> {spec.acme.directory}")
    if not changes and stored.fingerprint is not None:
        changes.append("configuration changed (names, key type, profile or CA)")
    return changes


def emergency_window(lifetime: timedelta) -> timedelta:
    """The last stretch of life in which we renew whatever ARI says.

    The last 1/20 of the lifetime, or three days for long-lived certificates;
    capped at a tenth of the lifetime so six-day certificates are not always
    in an emergency.
    """
    return max(lifetime * EMERGENCY_FRACTION, min(EMERGENCY_FLOOR, lifetime / 10))


def ari_pick(window: RenewalInfo, seed: str) -> datetime:
    """A point inside the CA's window, stable for one certificate and window.

    RFC 9773 asks clients to pick a random time in the window so that a fleet
    does not stampede the CA. Deriving it from a hash keeps the plan stable
    between a PR's plan and the scheduled run that follows it.
    """
    span = (window.end - window.start).total_seconds()
    if span <= 0:
        return window.start
    digest = hashlib.sha256(f"{seed}|{window.start.isoformat()}".encode()).digest()
    fraction = int.from_bytes(digest[:8], "big") / 2**64
    return window.start + timedelta(seconds=span * fraction)


def next_run(spec: CertificateSpec, now: datetime) -> datetime:
    """The latest the next scheduled run may start: ``run_every`` plus its slack."""
    return now + spec.run_every + spec.run_slack


def cadence_warning(
    spec: CertificateSpec, lifetime: timedelta, renew_at: datetime, not_after: datetime
) -> str | None:
    """A warning when fewer than two runs fit between the renewal point and expiry.

    One run in that stretch means one late or dropped run lets the certificate
    expire; the warning says which ``run_every`` would fit two.
    """
    span = not_after - renew_at
    if span <= timedelta(0) or span >= 2 * spec.run_every:
        return None
    needed = _round_down(span / 2)
    return (
        f"warning: {describe_delta(span)} between the renewal point and expiry hold fewer "
        f"than two runs every {describe_delta(spec.run_every)} (lifetime "
        f"{describe_delta(lifetime)}): set run_every to {describe_delta(needed)} or less, "
        "and schedule runs that often"
    )


def _round_down(span: timedelta) -> timedelta:
    """A cadence a schedule can say: whole hours from two hours up, else whole minutes."""
    unit = timedelta(hours=1) if span >= timedelta(hours=2) else timedelta(minutes=1)
    return max(unit, (span // unit) * unit)


def renewal_due(
    stored: StoredCertificate,
    spec: CertificateSpec,
    ari: RenewalInfo | None,
    now: datetime,
    *,
    no_windows: bool = False,
) -> Decision:
    """Decide renewal: config change, emergency floor, ARI window, then lifetime share.

    Runs come every ``spec.run_every`` (and may start ``spec.run_slack`` late),
    so a renewal time that falls before the next run would start is renewed
    now: waiting for that run would renew late, or after expiry. ``no_windows``:
    the CA offers no renewal windows (no ARI), which the lifetime rule's reason says.
    """
    decision = _renewal_due(stored, spec, ari, now, no_windows)
    if decision.due or decision.renew_at is None or not stored.dates_known:
        return decision
    warning = cadence_warning(spec, stored.lifetime, decision.renew_at, stored.not_after)
    if warning is None:
        return decision
    return Decision(decision.due, f"{decision.reason}; {warning}", decision.renew_at)


def _renewal_due(
    stored: StoredCertificate,
    spec: CertificateSpec,
    ari: RenewalInfo | None,
    now: datetime,
    no_windows: bool = False,
) -> Decision:
    if stored.revoked:
        return Decision(True, "current certificate was revoked")
    changes = config_changes(spec, stored)
    if changes:
        return Decision(True, "; ".join(changes))

    remaining = stored.not_after - now
    if remaining <= timedelta(0):
        return Decision(
            True, f"expired {describe_delta(remaining)} ago ({minute(stored.not_after)})"
        )

    lifetime = stored.lifetime
    if remaining <= emergency_window(lifetime):
        return Decision(
            True,
            f"emergency: expires in {describe_delta(remaining)} ({minute(stored.not_after)})",
        )

    following = next_run(spec, now)
    if ari is not None:
        pick = ari_pick(ari, stored.ari_cert_id or stored.serial)
        if now >= pick:
            if now > ari.end:
                return Decision(True, f"ARI window closed {minute(ari.end)}: renew now")
            return Decision(
                True,
                f"ARI window opened {minute(ari.start)} (chosen time {minute(pick)})",
            )
        # Before the window opens only when the next run would come after it closed:
        # inside the window the CA's timing wins (and Let's Encrypt exempts it from limits).
        if pick < following and (now >= ari.start or ari.end < following):
            return Decision(
                True,
                f"ARI window {minute(ari.start)} to {minute(ari.end)}; chosen time "
                f"{minute(pick)} falls before the next run ({_cadence(spec)})",
            )
        asked = f" (CA asked {minute(ari.checked)})" if ari.checked is not None else ""
        return Decision(
            False,
            f"ARI window {minute(ari.start)} to {minute(ari.end)}; due at {minute(pick)}{asked}",
            renew_at=pick,
        )

    if spec.renew_before is not None:
        threshold = spec.renew_before
        rule = f"renew_before {describe_delta(threshold)}"
    else:
        threshold = lifetime * DEFAULT_REMAINING_FRACTION
        rule = "renew at 1/3 of lifetime left"
    if no_windows:
        rule = f"the CA offers no renewal windows: {rule}"
    renew_at = stored.not_after - threshold
    if remaining <= threshold:
        return Decision(True, f"expires in {describe_delta(remaining)} ({rule})")
    if renew_at < following:
        return Decision(
            True,
            f"expires in {describe_delta(remaining)}; due {minute(renew_at)} ({rule}), "
            f"before the next run ({_cadence(spec)})",
        )
    return Decision(
        False,
        f"expires in {describe_delta(remaining)}; due {minute(renew_at)} ({rule})",
        renew_at=renew_at,
    )


def _cadence(spec: CertificateSpec) -> str:
    return (
        f"runs every {describe_delta(spec.run_every)}, up to {describe_delta(spec.run_slack)} late"
    )
