"""The commands that act on certificates: plan, renew, revoke, persist."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType
from typing import TYPE_CHECKING

import click

from renewer import app as run
from renewer.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    AsciiNumber,
    UsageError,
    check_outputs,
    config_option,
    force_option,
    load,
    load_specs,
    only_option,
    refresh_option,
    shard_option,
    state_dir,
    step_summary_output,
    warn,
    write,
    write_or_fallback,
)
from renewer.cli.main import main
from renewer.cli.render import finding_annotations, result_annotation, show_deliveries
from renewer.core.errors import describe_error
from renewer.core.models import Plan, Result
from renewer.execute.executor import (
    DEFAULT_CERT_DEADLINE,
    DEFAULT_CONCURRENCY,
    DEFAULT_MAX_NEW_ORDERS,
)
from renewer.plan import budget, shard
from renewer.plan.planner import UnknownCertificate
from renewer.publish import actions as github
from renewer.report import render as report
from renewer.report import struggle

if TYPE_CHECKING:
    from renewer.consumers.run import NudgeResult
    from renewer.notify.dispatch import Delivery
    from renewer.report.model import RunReport
    from renewer.verify.model import VerifyReport

REVOCATION_REASONS = {
    "unspecified": 0,
    "keyCompromise": 1,
    "superseded": 4,
    "cessationOfOperation": 5,
}


def parse_shard_option(spec: str | None) -> shard.Shard | None:
    try:
        return None if spec is None else shard.parse_shard(spec)
    except shard.ShardError as error:
        raise UsageError(str(error)) from None


max_new_orders_option = click.option(
    "--max-new-orders",
    type=AsciiNumber(int, 0),
    default=DEFAULT_MAX_NEW_ORDERS,
    show_default=True,
    help="New ACME orders per CA account (the CA's rate limit), shared by all --shard "
    "runs: each takes its share; the rest is deferred. ARI renewals do not count.",
)
per_domain_option = click.option(
    "--per-domain-limit",
    type=AsciiNumber(int, 0),
    default=budget.DEFAULT_PER_DOMAIN,
    show_default=True,
    help="Certificates per registered domain in 7 days (the CA's limit; counted from the "
    "stores): new certificates past it are deferred. ARI renewals do not count.",
)


@main.command()
@config_option
@only_option
@force_option
@refresh_option
@max_new_orders_option
@per_domain_option
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text")
@click.option("-o", "--output", metavar="OUT", help="Write the plan here instead of stdout.")
@shard_option
def plan(
    config: str | None,
    only: tuple[str, ...],
    force: bool,
    refresh: bool,
    max_new_orders: int,
    per_domain_limit: int,
    fmt: str,
    output: str | None,
    shard_spec: str | None,
) -> None:
    """Show what a renew would do, and why; changes nothing."""
    part = parse_shard_option(shard_spec)
    limits = budget.Limits(max_new_orders, per_domain_limit, part)
    check_outputs({"-o": output})
    try:
        shown = run.preview(load(config), only, force, refresh, part, limits)
    except UnknownCertificate as error:
        raise UsageError(str(error)) from None
    for warning in shown.warnings:
        warn(warning, "dns-persist-01")
    for line in shown.caa:
        warn(line, "CAA")
    for note in shown.notes:
        click.echo(f"note: {note}", err=True)
    for name, why in shown.report.plan.refused.items():  # would fail: an error, not a note
        click.echo(f"error: {name}: {why}", err=True)
        if github.in_actions():
            click.echo(github.annotation("error", f"{name}: {why}", title="renewer plan"))
    text = report.RENDERERS[fmt](shown.report)
    written = True
    if output:
        written = write_or_fallback(text, output, "-o")
    else:
        write(text, None)
    # An unreadable store leaves the plan incomplete; a refused certificate would fail.
    failing = shown.unreadable or bool(shown.report.plan.refused)
    sys.exit(EXIT_FAILED if failing or not written else EXIT_OK)


def _install_cancel(cancel: threading.Event) -> None:
    """First Ctrl-C/SIGTERM: stop waiting and clean up; second Ctrl-C: abort."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        if cancel.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        click.echo("stopping: cleaning up challenges, then reporting", err=True)
        cancel.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


@main.command()
@config_option
@only_option
@force_option
@refresh_option
@click.option(
    "--dry-run",
    is_flag=True,
    help="Plan and report; order nothing and write nothing (the CA is still asked for "
    "renewal windows the store does not remember, ARI).",
)
@click.option("--report", "report_path", metavar="OUT.json", help="Write the JSON report here.")
@click.option(
    "--summary", "summary_path", metavar="OUT.md", help="Write the Markdown summary here."
)
@click.option(
    "--concurrency",
    type=AsciiNumber(int, 1, 100),
    default=DEFAULT_CONCURRENCY,
    show_default=True,
    help="Orders in flight at once.",
)
@max_new_orders_option
@per_domain_option
@click.option(
    "--cert-deadline",
    type=AsciiNumber(float, 1, 7 * 86400),
    default=DEFAULT_CERT_DEADLINE,
    show_default=True,
    help="Seconds one certificate may take, retries and Retry-After pauses included.",
)
@shard_option
@click.option(
    "--no-verify",
    "skip_verify",
    is_flag=True,
    help="Do not check the endpoints of the certificates afterwards (renewer verify).",
)
@click.option(
    "--new-account",
    is_flag=True,
    help="Register a new ACME account even where the store holds certificates of a lost "
    "one (CAA accounturi and dns-persist-01 records naming the old URL then need updating).",
)
@click.option(
    "--no-nudge",
    "skip_nudge",
    is_flag=True,
    help="Do not ask the consumers of renewed certificates to pick them up now "
    "(docs/consumers.md); they still do by themselves.",
)
@click.option(
    "--notify/--no-notify",
    "notify",
    default=None,
    help="Send the notify: targets their message (default: yes, except with --shard).",
)
def renew(
    config: str | None,
    only: tuple[str, ...],
    force: bool,
    refresh: bool,
    dry_run: bool,
    report_path: str | None,
    summary_path: str | None,
    concurrency: int,
    max_new_orders: int,
    per_domain_limit: int,
    cert_deadline: float,
    shard_spec: str | None,
    skip_verify: bool,
    new_account: bool,
    skip_nudge: bool,
    notify: bool | None,
) -> None:
    """Issue and renew what is due; exit 1 if any certificate failed.

    Afterwards the endpoints of the handled certificates are verified: a
    stale endpoint past its grace also exits 1 (see ``renewer verify``).
    Notifications go out once the report is written; a shard never sends
    them (``report publish`` does, for the merged report), nor does a dry run.

    Every output (--report, --summary, $GITHUB_STEP_SUMMARY) is checked before
    any store, DNS or CA is contacted: exit 2 if one cannot be written.
    """
    part = parse_shard_option(shard_spec)
    check_outputs({"--report": report_path, "--summary": summary_path, **step_summary_output()})
    options = run.RenewOptions(
        only=only,
        force=force,
        refresh=refresh,
        dry_run=dry_run,
        part=part,
        concurrency=concurrency,
        max_new_orders=max_new_orders,
        per_domain_limit=per_domain_limit,
        cert_deadline=cert_deadline,
        new_account=new_account,
        verify=not skip_verify,
        nudge=not skip_nudge,
        notify=notify,
        report_path=report_path,
        summary_path=summary_path,
        state_dir=state_dir(config),
    )
    try:
        cancel = threading.Event()
        done = run.run_renewal(load(config), options, Console(cancel), cancel)
    except UnknownCertificate as error:
        raise UsageError(str(error)) from None
    sys.exit(EXIT_FAILED if done.failed else EXIT_OK)


class Console(run.RunListener):
    """``renew``'s rendering: a line per result, annotations in Actions, the summary line."""

    def __init__(self, cancel: threading.Event) -> None:
        self.plan: Plan | None = None
        self.cancel = cancel

    def planned(self, plan: Plan) -> None:
        self.plan = plan
        _install_cancel(self.cancel)  # from here on, Ctrl-C cleans up before it stops

    def result(self, result: Result) -> None:
        click.echo(report.progress_line(result))
        if result.error and github.in_actions() and self.plan is not None:
            click.echo(result_annotation(result, self.plan))
        if result.ca_retried:  # succeeded or not, the CA struggled: say it louder than INFO
            warn(f"{result.name}: {struggle.words(dict(result.ca_retried))}", "CA")

    def executed(self, report_: RunReport) -> None:
        click.echo(report.render_text(report_).splitlines()[-1])

    def nudged(self, nudged: Sequence[NudgeResult]) -> None:
        from renewer.consumers import render as nudge_render

        for line in nudge_render.text_lines(nudged):
            click.echo(line)

    def verified(self, checked: VerifyReport) -> None:
        if not checked.findings:
            return
        from renewer.verify import render as verify_render

        click.echo(verify_render.render_text(checked), nl=False)
        for line in finding_annotations(checked, strict=False):
            click.echo(line)

    def write_failed(self, option: str, target: str, reason: str, text: str) -> None:
        click.echo(f"error: {option} {target}: cannot write ({reason}); it follows here", err=True)
        click.echo(text, err=True, nl=False)

    def delivered(self, deliveries: Sequence[Delivery]) -> None:
        show_deliveries(deliveries)


@main.command()
@click.argument("name")
@config_option
@click.option(
    "--reason",
    type=click.Choice(list(REVOCATION_REASONS)),
    default="unspecified",
    show_default=True,
)
def revoke(name: str, config: str | None, reason: str) -> None:
    """Revoke the current certificate NAME; the next run renews it."""
    specs = load_specs(config)
    try:
        revoked = run.revoke(specs, name, REVOCATION_REASONS[reason])
    except UnknownCertificate as error:
        raise UsageError(str(error)) from None
    except Exception as exc:
        click.echo(f"error: {name}: {describe_error(exc)}", err=True)
        sys.exit(EXIT_FAILED)
    click.echo(f"revoked {name} serial {revoked} ({reason}); the next run renews it")


@main.command("persist")
@config_option
@only_option
@click.option("--dry-run", is_flag=True, help="Show what would be written; write nothing.")
@click.option("--prune", is_flag=True, help="Also remove this CA's stale values (old account URL).")
def persist_command(config: str | None, only: tuple[str, ...], dry_run: bool, prune: bool) -> None:
    """Write dns-persist-01 standing records once; renewals then need no DNS writes.

    Without --only: every certificate with challenge dns-persist-01 or auto.
    Idempotent; other values in the record set are never touched. Exit 1 if
    any record could not be written.
    """
    try:
        outcome = run.persist(load_specs(config), only, dry_run=dry_run, prune=prune)
    except UnknownCertificate as error:
        raise UsageError(str(error)) from None
    if outcome is None:
        click.echo("no certificate uses challenge dns-persist-01 or auto; nothing to do")
        return
    for change in outcome.changes:
        value = f' "{change.value}"' if change.value else ""
        detail = f" ({change.detail})" if change.detail else ""
        click.echo(f"{change.action:<12} {change.certificate}: {change.record}{value}{detail}")
        if change.action == "failed" and github.in_actions():
            click.echo(github.annotation("error", f"{change.certificate}: {change.detail}"))
    sys.exit(EXIT_FAILED if outcome.failed else EXIT_OK)
