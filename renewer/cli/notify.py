"""``renewer notify``: a sample message (``--test``) or a report's, to every target.

The run's own notification step is ``renewer.notify.dispatch.announce``: once
per run, from ``renew`` unless it runs as a shard, or from ``report publish``
for the merged report. A failed notification is a warning (stderr, an Actions
annotation, a line in the summary), never a failed run.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from renewer.cli.common import EXIT_FAILED, EXIT_OK, UsageError, config_option, load
from renewer.cli.main import main
from renewer.cli.render import show_deliveries
from renewer.notify import dispatch
from renewer.notify.dispatch import announce
from renewer.report import merge


@main.command("notify")
@config_option
@click.option("--test", "test", is_flag=True, help="Send a sample message to every target.")
@click.option(
    "--report",
    "report_path",
    metavar="REPORT.json",
    help="Notify about this (e.g. merged) report instead of a sample.",
)
@click.option("--tracking-url", metavar="URL", help="Link this tracking issue in the messages.")
@click.option("--dry-run", is_flag=True, help="Print the messages; send nothing.")
def notify_command(
    config: str | None,
    test: bool,
    report_path: str | None,
    tracking_url: str | None,
    dry_run: bool,
) -> None:
    """Send the configured notifications: a sample (--test) or a report's.

    Exit 0 when every target took its message; with --test 1 if one did not
    (it is a check); with --report a failure is a warning and exit stays 0.
    """
    if test == bool(report_path):
        raise UsageError("give exactly one of --test or --report REPORT.json")
    cfg = load(config)
    if not cfg.notify:
        click.echo(f"{cfg.path}: no notify: targets configured")
        return
    if report_path:
        try:
            body = merge.load_report(Path(report_path))
        except merge.ReportError as error:
            raise UsageError(str(error)) from None
    else:
        body = dispatch.sample_report()
    done = announce(cfg.notify, body, tracking_url, dry_run=dry_run, test=test)
    show_deliveries(done, dry_run)
    sys.exit(EXIT_FAILED if test and any(d.failed for d in done) else EXIT_OK)
