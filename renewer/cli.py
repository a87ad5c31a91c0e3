"""Command line: parse flags, set up logging, call run/report, choose the exit code.

Exit codes: 0 all done, 1 a certificate failed, 2 configuration or usage error.
Logs go to stderr; machine output to stdout or ``-o``.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

import click

from renewer import app as run
from renewer.config.loader import Config, ConfigError, load_config
from renewer.core.errors import describe_error
from renewer.core.models import CertificateSpec, Plan, Result
from renewer.core.redact import RedactingFilter
from renewer.execute import persist
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
from renewer.publish import inventory, tracking
from renewer.publish.github_api import (
    GitHubClient,
    GitHubError,
    GitHubSetupError,
    GitHubUnavailable,
)
from renewer.report import persist as persist_report
from renewer.report import render as report
from renewer.report.model import RunReport

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
REVOCATION_REASONS = {
    "unspecified": 0,
    "keyCompromise": 1,
    "superseded": 4,
    "cessationOfOperation": 5,
}

log = logging.getLogger("renewer")


def _setup_logging(verbose: int) -> None:
    names = {"DEBUG": logging.DEBUG, "INFO": logging.INFO, "WARNING": logging.WARNING}
    level = names.get(os.environ.get("RENEWER_LOG_LEVEL", "").upper(), logging.WARNING)
    if verbose:
        level = logging.DEBUG if verbose > 1 else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # The acme library logs whole JWS bodies at DEBUG; ours are enough.
    logging.getLogger("acme").setLevel(max(level, logging.INFO))
    logging.getLogger("urllib3").setLevel(max(level, logging.INFO))
    # azure-core logs every request at INFO and azure-identity repeats each sign-in failure
    # with a traceback; renewer's own one-line errors say it, so keep them for -vv.
    debug = level <= logging.DEBUG
    logging.getLogger("azure").setLevel(logging.INFO if debug else logging.WARNING)
    logging.getLogger("azure.identity").setLevel(logging.INFO if debug else logging.ERROR)


def _config_path(value: str | None) -> Path:
    return Path(value or os.environ.get("RENEWER_CONFIG") or "certificates.yaml")


def _fail_config(error: ConfigError) -> NoReturn:
    for issue in error.issues:
        click.echo(str(issue), err=True)
        if github.in_actions():
            click.echo(
                github.annotation(
                    "error",
                    issue.message,
                    issue.file,
                    issue.line,
                    issue.column,
                    "certificates.yaml",
                )
            )
    sys.exit(EXIT_USAGE)


def _state_dir(config: str | None) -> Path:
    """Run state (the TXT journal) kept next to the configuration, or $RENEWER_STATE_DIR."""
    explicit = os.environ.get("RENEWER_STATE_DIR")
    return Path(explicit) if explicit else _config_path(config).resolve().parent / ".renewer"


def _load_config(config: str | None) -> Config:
    try:
        return load_config(_config_path(config))
    except ConfigError as error:
        _fail_config(error)


def _load(config: str | None) -> list[CertificateSpec]:
    try:
        return list(load_config(_config_path(config)).certificates)
    except ConfigError as error:
        _fail_config(error)


def _write(text: str, output: str | None) -> None:
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


config_option = click.option(
    "-c",
    "--config",
    "config",
    metavar="FILE",
    help="certificates.yaml (default: $RENEWER_CONFIG, then ./certificates.yaml)",
)
only_option = click.option(
    "--only", multiple=True, metavar="NAME", help="Only this certificate (repeatable)."
)
force_option = click.option("--force", is_flag=True, help="Renew even if not due.")
shard_option = click.option(
    "--shard",
    "shard_spec",
    metavar="I/N",
    help="Only the I-th of N stable slices of the certificates (parallel jobs).",
)


def _usage_error(message: str) -> NoReturn:
    """One line on stderr (and an annotation in Actions), exit 2."""
    click.echo(f"error: {message}", err=True)
    if github.in_actions():
        click.echo(github.annotation("error", message, title="renewer"))
    sys.exit(EXIT_USAGE)


def _parse_shard(spec: str | None) -> shard.Shard | None:
    try:
        return None if spec is None else shard.parse_shard(spec)
    except shard.ShardError as error:
        _usage_error(str(error))


@click.group()
@click.option("-v", "--verbose", count=True, help="-v INFO, -vv DEBUG (secrets never logged).")
@click.version_option(package_name="renewer")
def main(verbose: int) -> None:
    """Certificates as code: ACME DNS-01 certificates into Azure Key Vault."""
    _setup_logging(verbose)


@main.command()
@config_option
def validate(config: str | None) -> None:
    """Check certificates.yaml; exit 0 if valid, 2 with FILE:LINE:COL messages if not."""
    specs = _load(config)
    click.echo(f"{_config_path(config)}: valid ({len(specs)} certificates)")


def _plan(
    config: str | None,
    only: tuple[str, ...],
    force: bool,
    services: Services,
    part: shard.Shard | None = None,
) -> tuple[Plan, run.State]:
    specs = _load(config)
    try:
        if part is not None:
            return shard.make_plan(specs, services, only, force, part)
        return run.make_plan(specs, services, only, force)
    except UnknownCertificate as error:
        click.echo(f"error: {error}", err=True)
        if github.in_actions():
            click.echo(github.annotation("error", str(error), title="renewer"))
        sys.exit(EXIT_USAGE)


@main.command()
@config_option
@only_option
@force_option
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text")
@click.option("-o", "--output", metavar="OUT", help="Write the plan here instead of stdout.")
@shard_option
def plan(
    config: str | None,
    only: tuple[str, ...],
    force: bool,
    fmt: str,
    output: str | None,
    shard_spec: str | None,
) -> None:
    """Show what a renew would do, and why; changes nothing."""
    part = _parse_shard(shard_spec)
    services = Services()
    the_plan, state = _plan(config, only, force, services, part)
    standing = persist.gather([a.spec for a in the_plan.actions], services)
    for warning in persist_report.warnings(standing):
        click.echo(f"warning: {warning}", err=True)
        if github.in_actions():
            click.echo(github.annotation("warning", warning, title="dns-persist-01"))
    the_report = RunReport(plan=the_plan, results=run.unreadable_results(state), persist=standing)
    _write(report.RENDERERS[fmt](the_report), output)
    sys.exit(EXIT_FAILED if state.unreadable else EXIT_OK)


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
@click.option("--dry-run", is_flag=True, help="Plan and report, contact no CA.")
@click.option("--report", "report_path", metavar="OUT.json", help="Write the JSON report here.")
@click.option(
    "--summary", "summary_path", metavar="OUT.md", help="Write the Markdown summary here."
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 100),
    default=DEFAULT_CONCURRENCY,
    show_default=True,
    help="Orders in flight at once.",
)
@click.option(
    "--max-new-orders",
    type=click.IntRange(0),
    default=DEFAULT_MAX_NEW_ORDERS,
    show_default=True,
    help="Cap on new ACME orders this run (the CA's rate limits); the rest waits.",
)
@click.option(
    "--cert-deadline",
    type=click.FloatRange(1),
    default=DEFAULT_CERT_DEADLINE,
    show_default=True,
    help="Seconds one certificate may take, retries and Retry-After pauses included.",
)
@shard_option
def renew(
    config: str | None,
    only: tuple[str, ...],
    force: bool,
    dry_run: bool,
    report_path: str | None,
    summary_path: str | None,
    concurrency: int,
    max_new_orders: int,
    cert_deadline: float,
    shard_spec: str | None,
) -> None:
    """Issue and renew what is due; exit 1 if any certificate failed."""
    part = _parse_shard(shard_spec)
    services = Services(state_dir=_state_dir(config))
    the_plan, state = _plan(config, only, force, services, part)
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
    markdown = report.render_markdown(the_report)
    if report_path:
        Path(report_path).write_text(report.render_json(the_report), encoding="utf-8")
    if summary_path:
        Path(summary_path).write_text(markdown, encoding="utf-8")
    github.append_step_summary(markdown)
    sys.exit(EXIT_FAILED if the_report.failed or cancel.is_set() else EXIT_OK)


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
    specs = _load(config)
    try:
        revoked = run.revoke(specs, name, REVOCATION_REASONS[reason], Services())
    except UnknownCertificate as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(EXIT_USAGE)
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
    specs = _load(config)
    try:
        chosen = planner.select(specs, only)
    except UnknownCertificate as error:
        _usage_error(str(error))
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


# -- renewer report: merge shard reports, publish to GitHub ----------------------
@main.group("report")
def report_group() -> None:
    """Merge JSON reports of sharded runs and publish them to GitHub."""


def _read_report(path: str | Path) -> dict[str, Any]:
    try:
        return shard.load_report(Path(path))
    except shard.ReportError as error:
        _usage_error(str(error))


def _github_client() -> GitHubClient:
    try:
        return GitHubClient.from_env()
    except GitHubSetupError as error:
        _usage_error(str(error))


def _github_failed(error: Exception) -> NoReturn:
    """An outage warns and exits 0 (the renewal stands); a refusal is an error, exit 1."""
    down = isinstance(error, GitHubUnavailable)
    level, word = ("warning", "GitHub API unavailable") if down else ("error", "GitHub refused")
    message = f"{word}, report not published: {error}"
    click.echo(f"{level}: {message}", err=True)
    if github.in_actions():
        click.echo(github.annotation(level, message, title="renewer report"))
    github.append_step_summary(f"\n> **{level}**: {message}\n")
    sys.exit(EXIT_OK if down else EXIT_FAILED)


@report_group.command("merge")
@click.argument("reports", nargs=-1, required=True, metavar="REPORT.json|DIR...")
@click.option("-o", "--output", metavar="OUT.json", help="Write the merged report here.")
@click.option("--summary", "summary_path", metavar="OUT.md", help="Write its Markdown here.")
def report_merge(reports: tuple[str, ...], output: str | None, summary_path: str | None) -> None:
    """Merge shard reports (files, or directories of *.json) into one; exit 2 if unreadable."""
    try:
        merged = shard.merge_reports([_read_report(p) for p in shard.report_files(reports)])
    except shard.ReportError as error:
        _usage_error(str(error))
    _write(shard.render_json(merged), output)
    if summary_path:
        Path(summary_path).write_text(shard.render_markdown(merged), encoding="utf-8")
    if output:
        click.echo(f"merged {len(merged['certificates'])} certificates into {output}")


@report_group.command("publish")
@click.option("--report", "report_path", required=True, metavar="REPORT.json")
@click.option("--summary", "summary_path", metavar="OUT.md", help="Also write the Markdown here.")
@config_option
def report_publish(report_path: str, summary_path: str | None, config: str | None) -> None:
    """Job summary, tracking issue and (report mode pr) inventory pull request.

    Reads GITHUB_TOKEN, GITHUB_REPOSITORY and GITHUB_API_URL. Exit 0 also when
    the GitHub API is down (a warning); 1 if GitHub refused; 2 usage errors.
    """
    body = _read_report(report_path)
    markdown = shard.render_markdown(body)
    if summary_path:
        Path(summary_path).write_text(markdown, encoding="utf-8")
    github.append_step_summary(markdown)
    cfg = _load_config(config)
    skip = tracking.skip_reason(body, cfg.report_mode)
    if skip:
        click.echo(skip)
        return
    client = _github_client()
    try:
        for line in tracking.publish(
            client,
            body,
            cfg.report_mode,
            [spec.name for spec in cfg.certificates],
            inventory.lock_path_for(cfg.path),
            github.run_url(),
        ):
            click.echo(line)
    except (GitHubUnavailable, GitHubError) as error:
        _github_failed(error)


@report_group.command("comment")
@click.option("--pull-request", "number", type=click.IntRange(min=1), required=True)
@click.option(
    "--body-file", required=True, metavar="PLAN.md", help="e.g. from plan --format markdown"
)
def report_comment(number: int, body_file: str) -> None:
    """Create or update the one sticky plan comment on a pull request."""
    try:
        markdown = Path(body_file).read_text(encoding="utf-8")
    except OSError as error:
        _usage_error(f"{body_file}: {error.strerror or error}")
    client = _github_client()
    try:
        click.echo(tracking.upsert_comment(client, number, markdown, tracking.PLAN_MARKER))
    except (GitHubUnavailable, GitHubError) as error:
        _github_failed(error)
