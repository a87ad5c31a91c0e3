"""The plan for a configured certificate whose stored namesake renewer did not create.

Such a certificate is usually keyvault-acmebot's, left under the name its
consumers watch. Two outcomes, never "unchanged":

- without ``adopt: true`` it is *blocked*: renewer may not replace another
  tool's certificate, and says why and how to take it over. Once it is inside
  its renewal window (or the emergency window) the block escalates like a
  failure (report.escalation): if the other tool has stopped, nothing renews it.
- with ``adopt: true`` it is *adopted*: when renewing now is due (its lifetime,
  or names, key type or CA differ from the config) it is renewed as a new
  version of the same name; otherwise only renewer's tags are written.

The adoption's words start "adopt (issued by …, expires …)" so the first plan
of a migration shows exactly what is taken over.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from renewer.core.adoption import differences
from renewer.core.models import Action, ActionKind, CertificateSpec, RenewalInfo, StoredCertificate
from renewer.core.timefmt import day
from renewer.plan.policy import renewal_due

GUIDE = "docs/migrate-from-acmebot.md"


def _who(stored: StoredCertificate) -> str:
    return stored.foreign.words() if stored.foreign else "another tool (no tags renewer knows)"


def way_out(spec: CertificateSpec, stored: StoredCertificate | None) -> str:
    """The short form of a block for logs, annotations and the result column: why and how."""
    who = _who(stored) if stored is not None else "another tool"
    return (
        f"renewer did not create it (issued by {who}); `adopt: true` or "
        f"`renewer adopt {spec.name}` takes it over under the same name ({GUIDE})"
    )


def _as_own(stored: StoredCertificate) -> StoredCertificate:
    """The stored certificate judged by lifetime alone (names and key type are compared apart)."""
    return replace(stored, managed=True, fingerprint=None, domains=None, key=None, directory=None)


def foreign_action(
    spec: CertificateSpec,
    stored: StoredCertificate,
    ari: RenewalInfo | None,
    now: datetime,
    force: bool,
) -> Action:
    """Blocked, or (with ``adopt: true``) adopted and renewed when due."""
    if spec.adopt:
        return _adopt(spec, stored, ari, now, force)
    decision = renewal_due(_as_own(stored), spec, None, now)
    when = (
        "due now" if decision.due or decision.renew_at is None else f"due {day(decision.renew_at)}"
    )
    reason = (
        f"a certificate named {spec.name} exists but renewer did not create it (issued by "
        f"{_who(stored)}; expires {day(stored.not_after)}, {when}): renewer will not replace "
        f"it. To take it over under the same name, so consumers keep their URL, set "
        f"`adopt: true` on it in certificates.yaml or run `renewer adopt {spec.name}` "
        f"(see {GUIDE}); do not delete it (its secret URL would answer 404)"
    )
    renew_at = None if decision.due else decision.renew_at
    return Action(spec.name, ActionKind.BLOCKED, reason, spec, stored, renew_at)


def _adopt(
    spec: CertificateSpec,
    stored: StoredCertificate,
    ari: RenewalInfo | None,
    now: datetime,
    force: bool,
) -> Action:
    prior = f"adopt (issued by {_who(stored)}, expires {day(stored.not_after)})"
    changes = differences(spec, stored)
    if force:
        return Action(
            spec.name, ActionKind.RENEW, f"{prior}; forced renewal (--force)", spec, stored
        )
    if changes:
        why = f"{prior}; renewed now as a new version of the same name: " + "; ".join(changes)
        return Action(spec.name, ActionKind.RENEW, why, spec, stored)
    decision = renewal_due(_as_own(stored), spec, ari, now)
    if decision.due:
        why = f"{prior}; renewed now as a new version of the same name: {decision.reason}"
        return Action(spec.name, ActionKind.RENEW, why, spec, stored)
    why = f"{prior}; renewer's tags written, nothing else changes; {decision.reason}"
    return Action(spec.name, ActionKind.ADOPT, why, spec, stored, decision.renew_at)
