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
from renewer.core.timefmt import minute

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
    """Human wording for a span: '12 days', '5 hours', '40 minutes'."""
    seconds = abs(delta.total_seconds())
    if seconds >= 2 * 86400:
        return f"{int(seconds // 86400)} days"
    if seconds >= 2 * 3600:
        return f"{int(seconds // 3600)} hours"
    if seconds >= 120:
        return f"{int(seconds // 60)} minutes"
    return f"{int(seconds)} seconds"


def config_changes(spec: CertificateSpec, stored: StoredCertificate) -> list[str]:
    """What differs between the desired spec and what was issued, in words.

    The fingerprint decides; the recorded fields only explain. Stores that keep
    the issued details report them field by field; stores that keep only the
    fingerprint (Key Vault tags) get a generic, still truthful reason.
    """
    if stored.fingerprint is not None and stored.fingerprint == spec.fingerprint():
        return []
    changes: list[str] = []
    if stored.domains is not None and set(stored.domains) != set(spec.domains):
        added = sorted(set(spec.domains) - set(stored.domains))
        removed = sorted(set(stored.domains) - set(spec.domains))
        delta = [f"+{d}" for d in added] + [f"-{d}" for d in removed]
        changes.append("domains changed: " + ", ".join(delta))
    if stored.key is not None and stored.key != spec.key:
        changes.append(f"key type changed: {stored.key} -> {spec.key}")
    if stored.fingerprint is not None and stored.profile != spec.acme.profile:
        old, new = stored.profile or "default", spec.acme.profile or "default"
        changes.append(f"profile changed: {old} -> {new}")
    if stored.directory is not None and stored.directory != spec.acme.directory:
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


def renewal_due(
    stored: StoredCertificate,
    spec: CertificateSpec,
    ari: RenewalInfo | None,
    now: datetime,
) -> Decision:
    """Decide renewal: config change, emergency floor, ARI window, then lifetime share."""
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

    if ari is not None:
        pick = ari_pick(ari, stored.ari_cert_id or stored.serial)
        if now >= pick:
            if now > ari.end:
                return Decision(True, f"ARI window closed {minute(ari.end)}: renew now")
            return Decision(
                True,
                f"ARI window opened {minute(ari.start)} (chosen time {minute(pick)})",
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
    renew_at = stored.not_after - threshold
    if remaining <= threshold:
        return Decision(True, f"expires in {describe_delta(remaining)} ({rule})")
    return Decision(
        False,
        f"expires in {describe_delta(remaining)}; due {minute(renew_at)} ({rule})",
        renew_at=renew_at,
    )
