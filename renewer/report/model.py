"""The report's one data model: a plan and what became of each action.

Every view (terminal text, Markdown, JSON) and every destination (job
summary, tracking issue, notifications) is rendered from this object, so
they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from renewer.core.models import Outcome, Plan, Result

if TYPE_CHECKING:  # dns-persist-01's records load only where a plan reads them
    from renewer.dns.persist.record import CertificateStatus


@dataclass(frozen=True)
class RunReport:
    """A plan and, once executed, the result of every action."""

    plan: Plan
    results: tuple[Result, ...] = ()
    dry_run: bool = False
    persist: tuple[CertificateStatus, ...] = ()  # dns-persist-01 standing records (plan)

    @property
    def failed(self) -> tuple[Result, ...]:
        return tuple(r for r in self.results if r.outcome is Outcome.FAILED)
