"""The commands that act on certificates: plan, renew, revoke, persist."""

from __future__ import annotations

import json
import signal
import sys
import threading
from types import FrameType

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
    step_summary_or_fallback,
    step_summary_output,
    warn,
    write,
    write_or_fallback,
)
from renewer.cli.main import main
from renewer.config.loader import Config
from renewer.core.errors import describe_error
from renewer.core.models import Plan, Result
from renewer.execute.executor import (
    DEFAULT_CERT_DEADLINE,
    DEFAULT_CONCURRENCY,
    DEFAULT_MAX_NEW_ORDERS,
    Executor,
)
from renewer.execute.services import Services
from renewer.plan import planner, shard
from renewer.plan.planner import UnknownCertificate
from renewer.publish import actions as github
from renewer.report import render as report
from renewer.report.model import RunReport

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


def _plan(
    cfg: Config,
    only: tuple[str, ...],
    force: bool,
    services: Services,
    part: shard.Shard | None = None,
    refresh: bool = False,
) -> tuple[Plan, run.State]:
    specs = list(cfg.certificates)
    try:
        if part is not None:
            return run.make_shard_plan(specs, services, only, force, part, refresh)
        return run.make_plan(specs, services, only, force, refresh=refresh)
    except UnknownCertificate as error:
        raise UsageError(str(error)) from None


@main.command()
@config_option
@only_option
@force_option
@refresh_option
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text")
@click.option("-o", "--output", metavar="OUT", help="Write the plan here instead of stdout.")
@shard_option
def plan(
    config: str | None,
    only: tuple[str, ...],
    force: bool,
    refresh: bool,
    fmt: str,
    output: str | None,
    shard_spec: str | None,
) -> None:
    """Show what a renew would do, and why; changes nothing."""
    part = parse_shard_option(shard_spec)
    check_outputs({"-o": output})
    from renewer.config.types.dns_acmedns import AcmeDnsSettings
    from renewer.dns.providers import acmedns
    from renewer.execute import persist
    from renewer.report import persist as persist_report

    services = Services()
    the_plan, state = _plan(load(config), only, force, services, part, refresh)
    standing = persist.gather([a.spec for a in the_plan.actions], services)
    for warning in persist_report.warnings(standing):
        warn(warning, "dns-persist-01")
    for spec in [a.spec for a in the_plan.actions]:
        if isinstance(spec.dns.provider, AcmeDnsSettings):  # the CNAMEs it relies on
            for record in acmedns.delegations(spec.dns.provider.fulldomain, spec.domains):
                click.echo(f"note: {spec.name}: acme-dns needs {record}", err=True)
    the_report = RunReport(plan=the_plan, results=run.unreadable_results(state), persist=standing)
    text = report.RENDERERS[fmt](the_report)
    written = True
    if output:
        written = write_or_fallback(text, output, "-o")
    else:
        write(text, None)
    sys.exit(EXIT_FAILED if state.unreadable or not written else EXIT_OK)


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
@click.option(
    "--max-new-orders",
    type=AsciiNumber(int, 0),
    default=DEFAULT_MAX_NEW_ORDERS,
    show_default=True,
    help="Cap on new ACME orders this run (the CA's rate limits); the rest waits.",
)
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
    cert_deadline: float,
    shard_spec: str | None,
    skip_verify: bool,
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
    services = Services(state_dir=state_dir(config))
    cfg = load(config)  # once: the notify: targets below come from this same reading
    the_plan, state = _plan(cfg, only, force, services, part, refresh)
    cancel = threading.Event()
    _install_cancel(cancel)

    actions = {a.name: a for a in the_plan.actions}

    def progress(result: Result) -> None:
        click.echo(report.progress_line(result))
        if result.error and github.in_actions():
            # Louder as expiry nears: warning, at risk, critical / EXPIRED (error).
            level = report.escalate(result, actions.get(result.name), the_plan.generated_at)
            words = f" [{level.words}]" if level and level.severity != "not-issued" else ""
            click.echo(
                github.annotation(
                    level.level if level else "error",
                    f"{result.name}: {result.error}{words}",
                    title="renewer",
                )
            )

    executor = Executor(
        services,
        concurrency,
        cancel,
        on_result=progress,
        max_new_orders=max_new_orders,
        cert_deadline=cert_deadline,
    )
    the_report = run.renew(the_plan, state, executor, dry_run=dry_run)
    for result in run.unreadable_results(state):
        progress(result)
    click.echo(report.render_text(the_report).splitlines()[-1])
    body = report.as_body(the_report)
    markdown = report.render_markdown(the_report)
    if not dry_run and not cancel.is_set():  # consumers: after the work, before verify
        nudged = run.nudge(the_plan, the_report, services, cert_deadline, not skip_nudge)
        if nudged:
            from renewer.consumers import render as nudge_render

            for line in nudge_render.text_lines(nudged):
                click.echo(line)
            body["nudges"] = nudge_render.as_body(nudged)
            markdown += "\n" + nudge_render.markdown_from_body(body["nudges"])
    checked = None  # verify (issue 15): after the work, for certificates with endpoints
    probed = [a.spec for a in the_plan.actions if a.spec.endpoints]
    if probed and not dry_run and not skip_verify and not cancel.is_set():
        from renewer.cli import verify as verify_cli  # the TLS probe stack, only when used
        from renewer.verify import render as verify_render

        checked = verify_cli.check(probed, services.stores)
    if checked is not None and checked.findings:
        click.echo(verify_render.render_text(checked), nl=False)
        verify_cli.annotate(checked, strict=False)
        body["verify"] = verify_render.as_body(checked)
        markdown += "\n" + verify_render.markdown_from_body(body["verify"], heading="####")
    written = [  # issue 12: checked before the work; a failure now goes to stderr, exit 1
        write_or_fallback(json.dumps(body, indent=2) + "\n", report_path, "--report")
        if report_path
        else True,
        write_or_fallback(markdown, summary_path, "--summary") if summary_path else True,
        step_summary_or_fallback(markdown),
    ]
    if (part is None if notify is None else notify) and not dry_run and cfg.notify:
        from renewer.cli.notify import announce  # the notifier stack, only when configured

        announce(cfg, body, summary_path=summary_path)
    stale = bool(checked and checked.stale)
    failed = report.failing(the_report) or cancel.is_set() or stale or not all(written)
    sys.exit(EXIT_FAILED if failed else EXIT_OK)


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
        revoked = run.revoke(specs, name, REVOCATION_REASONS[reason], Services())
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
    specs = load_specs(config)
    try:
        chosen = planner.select(specs, only)
    except UnknownCertificate as error:
        raise UsageError(str(error)) from None
    from renewer.execute import persist

    if not only:
        chosen = tuple(s for s in chosen if persist.uses_persist(s))
    if not chosen:
        click.echo("no certificate uses challenge dns-persist-01 or auto; nothing to do")
        return
    outcome = persist.setup(chosen, Services(), dry_run=dry_run, prune=prune)
    for change in outcome.changes:
        value = f' "{change.value}"' if change.value else ""
        detail = f" ({change.detail})" if change.detail else ""
        click.echo(f"{change.action:<12} {change.certificate}: {change.record}{value}{detail}")
        if change.action == "failed" and github.in_actions():
            click.echo(github.annotation("error", f"{change.certificate}: {change.detail}"))
    sys.exit(EXIT_FAILED if outcome.failed else EXIT_OK)
