"""``renewer verify``: does every endpoint serve the store's current version?

Exit 0 when every address serves the current version or a previous one
within grace; 1 otherwise; 2 for configuration and usage errors. The use
case lives in ``renewer.verify.run``; ``renew`` runs it for the certificates
it handled (``renewer.app``) and shows findings alike (``renewer.cli.render``).
"""

from __future__ import annotations

import sys

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
from renewer.cli.render import finding_annotations
from renewer.plan.planner import UnknownCertificate
from renewer.publish import actions as github
from renewer.stores.registry import StoreRegistry
from renewer.verify import render
from renewer.verify.probe import (
    DEFAULT_CONCURRENCY,
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_HANDSHAKE_TIMEOUT,
    ProbeSettings,
)
from renewer.verify.run import verify as run_verify
from renewer.verify.run import with_endpoints


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
    for line in finding_annotations(report):
        click.echo(line)
    github.append_step_summary(render.render_markdown(report))
    sys.exit(EXIT_FAILED if report.failed else EXIT_OK)
