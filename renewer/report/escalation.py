"""How loudly to report a failed certificate: the nearer its expiry, the louder.

A renewal that fails while the certificate still has most of its life is a
warning: the next runs try again. As expiry nears the same failure becomes
urgent. The rules (pure; the current certificate's dates and ``now`` come in):

- more than a third of the lifetime left, or more than 14 days left: ``warning``
- otherwise (inside the last third and under 14 days): ``at-risk`` (still a
  warning annotation; the summary flags it)
- inside the emergency window (``policy.emergency_window``) or under a tenth of
  the lifetime, 3 days at most: ``critical`` (an error annotation). Relative to
  the lifetime so that a failed 6-day or 24-hour certificate is not critical
  from the moment it is issued: the next runs still have time.
- past ``not_after``: ``expired`` (an error annotation)

A failure with no current certificate (a first issuance, an unreadable store)
has nothing that expires; it stays an error, as before.

A *blocked* certificate (due, another holder has its lock) or a *deferred* one
(due, past the run's new-order cap) is not a failure while someone else or the
next run can still renew it in time. It escalates like one (an ``error``, exit
1) once it is critical or expired, and a blocked one also when its holder is
not a live renewer (``LockHolder.live`` False): then nothing will renew it.
A certificate blocked because another tool owns its name (``due``: it is inside
its renewal window) escalates as soon as it is due: renewer cannot know whether
that tool still runs, and "due" must never read as fine.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from renewer.core import timefmt
from renewer.core.models import Outcome, Result
from renewer.plan.policy import DEFAULT_REMAINING_FRACTION, describe_delta, emergency_window

AT_RISK_DAYS = timedelta(days=14)
CRITICAL_DAYS = timedelta(days=3)
CRITICAL_FRACTION = 1 / 10
SHORT_LIVED = timedelta(days=10)  # lifetimes under this say the time of day of expiry


class Severity(enum.StrEnum):
    WARNING = "warning"
    AT_RISK = "at-risk"
    CRITICAL = "critical"
    EXPIRED = "expired"
    NOT_ISSUED = "not-issued"  # failed with no current certificate


@dataclass(frozen=True)
class Escalation:
    """The annotation level (``warning`` or ``error``), the severity and the words."""

    level: str
    severity: Severity
    words: str  # e.g. "at risk: expires in 10 days (2026-12-08)"

    @property
    def flagged(self) -> bool:
        """Worth a mark in the summary (at risk or worse)."""
        return self.severity is not Severity.WARNING


def classify_expiry(not_before: datetime, not_after: datetime, now: datetime) -> Escalation:
    """The escalation of a failed renewal of a certificate valid from/until these times."""
    remaining = not_after - now
    lifetime = not_after - not_before
    when = timefmt.minute(not_after) if lifetime < SHORT_LIVED else timefmt.day(not_after)
    if remaining <= timedelta(0):
        words = f"EXPIRED {describe_delta(remaining)} ago ({when})"
        return Escalation("error", Severity.EXPIRED, words)
    left = f"expires in {describe_delta(remaining)} ({when})"
    critical = min(CRITICAL_DAYS, lifetime * CRITICAL_FRACTION)
    if remaining <= emergency_window(lifetime) or remaining < critical:
        return Escalation("error", Severity.CRITICAL, f"critical: {left}")
    if remaining > lifetime * DEFAULT_REMAINING_FRACTION or remaining > AT_RISK_DAYS:
        return Escalation("warning", Severity.WARNING, left)
    return Escalation("warning", Severity.AT_RISK, f"at risk: {left}")


WAITING = (Outcome.BLOCKED, Outcome.DEFERRED)
"""Due but left for someone else (another holder, the next run): escalated, not failed."""


def classify(
    result: Result,
    not_before: datetime | None,
    not_after: datetime | None,
    now: datetime,
    due: bool = False,
) -> Escalation | None:
    """None unless ``result`` failed or waits; else the escalation for the stored dates.

    ``due``: a blocked certificate (another tool's) is already due for renewal.
    """
    if result.outcome is Outcome.FAILED:
        if not_before is None or not_after is None:
            return Escalation("error", Severity.NOT_ISSUED, "no current certificate")
        return classify_expiry(not_before, not_after, now)
    if result.outcome not in WAITING:
        return None
    if not_before is None or not_after is None:
        found = Escalation("warning", Severity.NOT_ISSUED, "no current certificate")
    else:
        found = classify_expiry(not_before, not_after, now)
    urgent = found.severity in (Severity.CRITICAL, Severity.EXPIRED)
    orphaned = result.holder is not None and result.holder.live is False
    if urgent or (result.outcome is Outcome.BLOCKED and orphaned):
        words = found.words if urgent else f"{found.words}; the lock holder is not a live run"
        return Escalation("error", found.severity, words)
    if result.outcome is Outcome.BLOCKED and due:
        return Escalation("error", found.severity, f"due and not renewed: {found.words}")
    return Escalation("warning", found.severity, found.words)


def fails_run(result: Result, level: Escalation | None) -> bool:
    """Whether this result makes the run exit 1: failed, or waiting and escalated."""
    if result.outcome is Outcome.FAILED:
        return True
    return result.outcome in WAITING and level is not None and level.level == "error"
