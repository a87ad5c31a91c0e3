"""What several commands show the same way: annotations and notification deliveries.

``renew`` shows verify findings as ``verify`` does, and ``renew``, ``notify``
and ``report publish`` show deliveries alike; the command modules share this
module instead of importing each other.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import click

from renewer.cli.common import warn
from renewer.core.models import Plan, Result
from renewer.publish import actions as github
from renewer.report import render as report
from renewer.report.escalation import classify_expiry

if TYPE_CHECKING:
    from renewer.notify.dispatch import Delivery
    from renewer.verify.model import Finding, VerifyReport


def result_annotation(result: Result, plan: Plan) -> str:
    """A failed certificate's workflow command, louder as expiry nears.

    warning, at risk, critical / EXPIRED (error): the words come from the
    report's escalation, so the annotation and the report agree.
    """
    action = next((a for a in plan.actions if a.name == result.name), None)
    level = report.escalate(result, action, plan.generated_at)
    words = f" [{level.words}]" if level and level.severity != "not-issued" else ""
    return github.annotation(
        level.level if level else "error", f"{result.name}: {result.error}{words}", title="renewer"
    )


def annotation_for(finding: Finding, now: datetime, strict: bool = True) -> str:
    """The workflow command for a failing finding.

    A stale endpoint is an error whose words escalate like a failed renewal
    ("critical: expires in 2 days"): the certificate it serves is the one
    that will expire. Other failures are errors for ``verify`` and warnings
    inside ``renew`` (``strict=False``), whose exit code is about renewals.
    """
    from renewer.verify.model import Verdict

    level, words = ("error" if strict else "warning"), ""
    if finding.verdict is Verdict.STALE and finding.served is not None:
        served = finding.served
        escalation = classify_expiry(served.not_before, served.not_after, now)
        level, words = "error", f" [{escalation.words}]"
    message = f"{finding.certificate} {finding.endpoint} [{finding.address}]: {finding.message}"
    return github.annotation(level, message + words, title="renewer verify")


def finding_annotations(checked: VerifyReport, strict: bool = True) -> Iterator[str]:
    """Annotations for every failing finding, in GitHub Actions only."""
    if not github.in_actions():
        return
    for finding in checked.failed:
        yield annotation_for(finding, checked.generated_at, strict)


def show_deliveries(deliveries: Sequence[Delivery], dry_run: bool = False) -> None:
    """Each target's outcome: a line, a warning when it failed, the message on --dry-run."""
    for delivery in deliveries:
        if dry_run:
            _show(delivery)
        elif delivery.failed:
            warn(delivery.warning, "renewer notify")
        else:
            click.echo(f"notify {delivery.label}: {delivery.state} ({delivery.detail})")


def _show(delivery: Delivery) -> None:
    """A rendered message on stdout, for --dry-run."""
    message = delivery.message
    click.echo(f"--- {delivery.label} ({message.media_type if message else 'nothing'}) ---")
    if message is None:
        click.echo(delivery.detail)
    elif message.media_type == "application/json":
        click.echo(json.dumps(json.loads(message.body), indent=2))
    else:
        click.echo(message.text.rstrip("\n"))
