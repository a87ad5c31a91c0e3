"""``renewer verify``: does every endpoint serve the store's current version?

Exit 0 when every address serves the current version or a previous one
within grace; 1 otherwise; 2 for configuration and usage errors. The use
case lives in ``renewer.verify.run``; ``renew`` calls :func:`annotate` and
:func:`check` for the certificates it handled.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from datetime import datetime

import click

from renewer.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    UsageError,
    config_option,
    load_specs,
    only_option,
    write,
)
from renewer.cli.main import main
from renewer.core.models import CertificateSpec
from renewer.plan.planner import UnknownCertificate
from renewer.publish import actions as github
from renewer.report.escalation import classify_expiry
from renewer.stores.registry import StoreRegistry
from renewer.verify import render
from renewer.verify.model import Finding, Verdict, VerifyReport
from renewer.verify.probe import (
    DEFAULT_CONCURRENCY,
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_HANDSHAKE_TIMEOUT,
    ProbeSettings,
)
from renewer.verify.run import verify as run_verify
from renewer.verify.run import with_endpoints


def annotation_for(finding: Finding, now: datetime, strict: bool = True) -> str:
    """The workflow command for a failing finding.

    A stale endpoint is an error whose words escalate like a failed renewal
    ("critical: expires in 2 days"): the certificate it serves is the one
    that will expire. Other failures are errors for ``verify`` and warnings
    inside ``renew`` (``strict=False``), whose exit code is about renewals.
    """
    level, words = ("error" if strict else "warning"), ""
    if finding.verdict is Verdict.STALE and finding.served is not None:
        served = finding.served
        escalation = classify_expiry(served.not_before, served.not_after, now)
        level, words = "error", f" [{escalation.words}]"
    message = f"{finding.certificate} {finding.endpoint} [{finding.address}]: {finding.message}"
    return github.annotation(level, message + words, title="renewer verify")


def annotate(report: VerifyReport, strict: bool = True) -> None:
    """Annotations for every failing finding, in GitHub Actions only."""
    if not github.in_actions():
        return
    for finding in report.failed:
        click.echo(annotation_for(finding, report.generated_at, strict))


def check(specs: Iterable[CertificateSpec], stores: StoreRegistry | None = None) -> VerifyReport:
    """Verify the certificates of ``specs`` that have endpoints (for ``renew``)."""
    return run_verify([s for s in specs if s.endpoints], stores or StoreRegistry())


@main.command("verify")
@config_option
@only_option
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text")
@click.option("-o", "--output", metavar="OUT", help="Write the result here instead of stdout.")
@click.option(
    "--concurrency",
    type=click.IntRange(1, 512),
    default=DEFAULT_CONCURRENCY,
    show_default=True,
    help="Handshakes in flight at once.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(0.1, 120),
    default=DEFAULT_HANDSHAKE_TIMEOUT,
    show_default=True,
    help=f"Seconds for each TLS handshake (connect: {DEFAULT_CONNECT_TIMEOUT:g} s at most).",
)
def verify_command(
    config: str | None,
    only: tuple[str, ...],
    fmt: str,
    output: str | None,
    concurrency: int,
    timeout: float,
) -> None:
    """Check that each endpoint serves the store's current certificate version.

    Exit 0 if every address serves the current version (or the previous one
    within grace), 1 otherwise, 2 for configuration and usage errors.
    """
    specs = load_specs(config)
    try:
        chosen = with_endpoints(specs, only)
    except UnknownCertificate as error:
        raise UsageError(str(error)) from None
    if not chosen:
        click.echo("no certificate has endpoints: nothing to verify", err=True)
    settings = ProbeSettings(concurrency, min(DEFAULT_CONNECT_TIMEOUT, timeout), timeout)
    report = run_verify(chosen, StoreRegistry(), settings=settings)
    write(render.RENDERERS[fmt](report), output)
    if output or fmt != "text":
        click.echo(render.summary_line(render.as_body(report)), err=True)
    annotate(report)
    github.append_step_summary(render.render_markdown(report))
    sys.exit(EXIT_FAILED if report.failed else EXIT_OK)
