"""``renewer doctor``: prove the setup before the first real run (renewer/doctor/)."""

from __future__ import annotations

import sys

import click

from renewer.cli.common import config_option, load, setup_logging, write
from renewer.cli.main import main
from renewer.doctor.model import exit_code, render_markdown, render_text
from renewer.doctor.run import run_doctor
from renewer.publish import actions as github


@main.command("doctor")
@config_option
@click.option(
    "--write-test",
    is_flag=True,
    help="Also write and remove one _renewer-doctor TXT value in every zone.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown"]),
    default="text",
    show_default=True,
    help="markdown: a table for the GitHub job summary.",
)
@click.option("-v", "--verbose", count=True, help="Log more (-vv: debug).")
def doctor(config: str | None, write_test: bool, fmt: str, verbose: int) -> None:
    """Check sign-in, vaults, DNS zones and CAs; exit 0 all good, 1 any failed, 2 config."""
    setup_logging(verbose)
    specs = list(load(config).certificates)
    checks = run_doctor(specs, write_test=write_test)
    text = render_markdown(checks) if fmt == "markdown" else render_text(checks)
    write(text, None)
    if fmt == "markdown" and github.in_actions():
        github.append_step_summary(text)
    sys.exit(exit_code(checks))
