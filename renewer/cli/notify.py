"""``renewer notify``, and the notification step of ``renew`` and ``report publish``.

Once per run: ``renew`` notifies unless it runs as a shard (``--shard``),
``report publish`` (the merged report of a sharded run) notifies unless
``--no-notify``. A failed notification is a warning (stderr, an Actions
annotation, a line in the summary), never a failed run.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from renewer.cli.common import EXIT_FAILED, EXIT_OK, UsageError, config_option, load, warn
from renewer.cli.main import main
from renewer.config.loader import Config
from renewer.notify import dispatch, links
from renewer.publish import actions as github
from renewer.report import merge


def _show(delivery: dispatch.Delivery) -> None:
    """A rendered message on stdout, for --dry-run."""
    message = delivery.message
    click.echo(f"--- {delivery.label} ({message.media_type if message else 'nothing'}) ---")
    if message is None:
        click.echo(delivery.detail)
    elif message.media_type == "application/json":
        click.echo(json.dumps(json.loads(message.body), indent=2))
    else:
        click.echo(message.text.rstrip("\n"))


def announce(
    cfg: Config,
    body: Mapping[str, Any],
    tracking_url: str | None = None,
    summary_path: str | None = None,
    dry_run: bool = False,
    test: bool = False,
) -> list[dispatch.Delivery]:
    """Send (or, dry_run, print) the run's notifications; failures become warnings."""
    if not cfg.notify:
        return []
    run_links = links.from_environment(tracking_url=tracking_url)
    done = dispatch.deliver(cfg.notify, body, run_links, send=not dry_run, test=test)
    notes: list[str] = []
    for delivery in done:
        if dry_run:
            _show(delivery)
        elif delivery.failed:
            message = f"notification to {delivery.label} failed: {delivery.detail}"
            warn(message, "renewer notify")
            notes.append(f"> **warning**: {message}")
        else:
            click.echo(f"notify {delivery.label}: {delivery.state} ({delivery.detail})")
    if notes:
        text = "\n" + "\n".join(notes) + "\n"
        if summary_path:
            with Path(summary_path).open("a", encoding="utf-8") as handle:
                handle.write(text)
        github.append_step_summary(text)
    return done


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
    done = announce(cfg, body, tracking_url, dry_run=dry_run, test=test)
    sys.exit(EXIT_FAILED if test and any(d.failed for d in done) else EXIT_OK)
