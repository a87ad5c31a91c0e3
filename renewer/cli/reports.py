"""``renewer report``: merge the JSON reports of sharded runs, publish them to GitHub."""

from __future__ import annotations

import os
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

import click

from renewer.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    ConfigInvalid,
    UsageError,
    check_outputs,
    config_option,
    config_path,
    load,
    only_option,
    step_summary_or_fallback,
    step_summary_output,
    write,
    write_or_fallback,
)
from renewer.cli.main import main
from renewer.cli.render import show_deliveries
from renewer.config.loader import Config
from renewer.core.files import BoundedReadError, read_bounded
from renewer.core.models import ReportMode
from renewer.core.report_json import ReportBody
from renewer.notify.dispatch import announce
from renewer.publish import actions as github
from renewer.publish import inventory, keepalive, tracking
from renewer.publish.github_api import (
    GitHubClient,
    GitHubError,
    GitHubSetupError,
    GitHubUnavailable,
)
from renewer.report import merge
from renewer.verify import render as verify_render


def _markdown(body: ReportBody) -> str:
    """The run's Markdown, plus its verify section when the report has one (renew verified)."""
    markdown = merge.render_markdown(body)
    verify = body.get("verify")
    if isinstance(verify, dict):
        markdown += "\n" + verify_render.markdown_from_body(verify, heading="####")
    nudges = body.get("nudges")
    if isinstance(nudges, list) and nudges:
        from renewer.consumers import render as nudge_render

        markdown += "\n" + nudge_render.markdown_from_body(nudges)
    return markdown


# -- renewer report: merge shard reports, publish to GitHub ----------------------
@main.group("report")
def report_group() -> None:
    """Merge JSON reports of sharded runs and publish them to GitHub."""


def _read_report(path: str | Path) -> ReportBody:
    try:
        return merge.load_report(Path(path))
    except merge.ReportError as error:
        raise UsageError(str(error)) from None


def _github_client() -> GitHubClient:
    try:
        return GitHubClient.from_env()
    except GitHubSetupError as error:
        raise UsageError(str(error)) from None


def _github_failed(error: Exception, what: str = "report not published") -> NoReturn:
    """An outage warns and exits 0 (the renewal stands); a refusal is an error, exit 1."""
    down = isinstance(error, GitHubUnavailable)
    level, word = ("warning", "GitHub API unavailable") if down else ("error", "GitHub refused")
    message = f"{word}, {what}: {error}"
    click.echo(f"{level}: {message}", err=True)
    if github.in_actions():
        click.echo(github.annotation(level, message, title="renewer report"))
    github.append_step_summary(f"\n> **{level}**: {message}\n")
    sys.exit(EXIT_OK if down else EXIT_FAILED)


def _selected(config: str, only: tuple[str, ...]) -> list[str]:
    """The certificates the run was meant to cover; unknown --only names are skipped here
    (the renew job already failed on them) so the merge still reports the rest."""
    names = [spec.name for spec in load(config).certificates]
    if not only:
        return names
    wanted = {n.lower() for n in only}
    return [name for name in names if name.lower() in wanted]


@report_group.command("merge")
@click.argument("reports", nargs=-1, required=True, metavar="REPORT.json|DIR...")
@click.option("-o", "--output", metavar="OUT.json", help="Write the merged report here.")
@click.option("--summary", "summary_path", metavar="OUT.md", help="Write its Markdown here.")
@click.option(
    "-c",
    "--config",
    "config",
    metavar="FILE",
    help="certificates.yaml: every selected certificate no report covers is marked failed "
    "(not reported), and no report at all is not an error.",
)
@only_option
@click.option("--dry-run", is_flag=True, help="The shards ran with --dry-run (with -c).")
def report_merge(
    reports: tuple[str, ...],
    output: str | None,
    summary_path: str | None,
    config: str | None,
    only: tuple[str, ...],
    dry_run: bool,
) -> None:
    """Merge shard reports (files, or directories of *.json) into one; exit 2 if unreadable.

    With -c, the workflow is never silent: a shard that wrote no report leaves
    its certificates marked failed ("not reported") so publish reports them.
    """
    check_outputs({"-o": output, "--summary": summary_path})
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    invalid_file: ReportBody | None = None
    try:
        selected = _selected(config, only) if config is not None else None
    except ConfigInvalid as invalid:
        # The file does not load here: the report says so (publish opens the issue with the
        # located errors), beside whatever the shards reported, which is kept.
        invalid.show()
        selected = None
        problems = [str(issue) for issue in invalid.error.issues]
        name = config_path(config).name
        invalid_file = merge.config_invalid_report(name, problems, stamp, dry_run)
    try:
        files = _present(reports) if config is not None else merge.report_files(reports)
        bodies = [_read_report(p) for p in files] + ([invalid_file] if invalid_file else [])
        merged = merge.merge_reports(bodies) if bodies else merge.empty_report(stamp, dry_run)
    except merge.ReportError as error:
        raise UsageError(str(error)) from None
    if selected is not None:
        merged, missing = merge.mark_missing(merged, selected)
        if missing:
            message = (
                f"{len(missing)} certificate(s) not reported by any shard, marked failed: "
                + ", ".join(missing[:20])
                + (" …" if len(missing) > 20 else "")
            )
            click.echo(f"error: {message}", err=True)
            if github.in_actions():
                click.echo(github.annotation("error", message, title="renewer report"))
    text = merge.render_json(merged)
    written = True
    if output:
        written = write_or_fallback(text, output, "-o")
    else:
        write(text, None)
    if summary_path:
        written &= write_or_fallback(_markdown(merged), summary_path, "--summary")
    if output and written:
        click.echo(f"merged {len(merged['certificates'])} certificates into {output}")
    if not written:
        sys.exit(EXIT_FAILED)


def _present(paths: tuple[str, ...]) -> list[Path]:
    """Report files under ``paths``; a missing folder or no file means none (not an error)."""
    existing = [p for p in paths if Path(p).exists()]
    if not existing:
        return []
    try:
        return merge.report_files(existing)
    except merge.ReportError:
        return []


@report_group.command("publish")
@click.option("--report", "report_path", required=True, metavar="REPORT.json")
@click.option("--summary", "summary_path", metavar="OUT.md", help="Also write the Markdown here.")
@config_option
@click.option(
    "--notify/--no-notify",
    "notify",
    default=True,
    show_default=True,
    help="Also send the notify: targets their message (once per run: shards do not).",
)
def report_publish(
    report_path: str, summary_path: str | None, config: str | None, notify: bool
) -> None:
    """Job summary, tracking issue, (report mode pr) inventory pull request, notifications.

    Reads GITHUB_TOKEN, GITHUB_REPOSITORY and GITHUB_API_URL. Exit 0 also when
    the GitHub API is down or a notification failed (warnings); 1 if GitHub
    refused; 2 usage errors.
    """
    check_outputs({"--summary": summary_path, **step_summary_output()})
    body = _read_report(report_path)
    markdown = _markdown(body)
    if summary_path:
        write_or_fallback(markdown, summary_path, "--summary")
    step_summary_or_fallback(markdown)
    try:
        cfg: Config | None = load(config)
    except ConfigInvalid:
        # A file that does not validate still reaches the tracking issue (merge wrote its
        # errors into the report): report mode issue, the default, and nobody to notify.
        cfg = None
        click.echo("warning: the certificates file is invalid: report mode issue, no notifications")
    mode = cfg.report_mode if cfg is not None else ReportMode.ISSUE
    skip = tracking.skip_reason(body, mode)
    failure: GitHubUnavailable | GitHubError | None = None
    issue_url: str | None = None
    if skip:
        click.echo(skip)
    else:
        client = _github_client()
        try:
            for line in tracking.publish(
                client,
                body,
                mode,
                [spec.name for spec in cfg.certificates] if cfg is not None else None,
                inventory.lock_path_for(config_path(config)),
                github.run_url(),
                scope=tracking.scope_of(config_path(config)),
            ):
                click.echo(line)
                issue_url = issue_url or _issue_url(line, client.repository)
        except (GitHubUnavailable, GitHubError) as error:
            failure = error
    if cfg is not None and notify and not body.get("dry_run"):  # after the issue: linkable
        show_deliveries(announce(cfg.notify, body, issue_url, summary_path))
    if failure is not None:
        _github_failed(failure)


def _issue_url(line: str, repository: str) -> str | None:
    """The tracking issue's web address from tracking.publish's "tracking issue #N: ..." line."""
    found = re.match(r"tracking issue #(\d+)", line)
    if not found:
        return None
    server = (os.environ.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/")
    return f"{server}/{repository}/issues/{found.group(1)}"


@report_group.command("keepalive")
@click.option(
    "--workflow",
    "workflows",
    multiple=True,
    default=("renew.yml",),
    show_default=True,
    metavar="FILE",
    help="Workflow file whose schedule must stay on (repeatable).",
)
def report_keepalive(workflows: tuple[str, ...]) -> None:
    """Keep scheduled workflows enabled (GitHub disables them after 60 quiet days).

    Needs a token with actions: write. Exit 0 also when the API is down (a
    warning; the next run tries again); 1 if GitHub refused.
    """
    client = _github_client()
    try:
        for line in keepalive.keep_enabled(client, workflows):
            click.echo(line)
    except (GitHubUnavailable, GitHubError) as error:
        _github_failed(error, "schedule not kept enabled")


@report_group.command("comment")
@click.option("--pull-request", "number", type=click.IntRange(min=1), required=True)
@click.option(
    "--body-file", required=True, metavar="PLAN.md", help="e.g. from plan --format markdown"
)
def report_comment(number: int, body_file: str) -> None:
    """Create or update the one sticky plan comment on a pull request."""
    try:
        markdown = read_bounded(Path(body_file)).decode("utf-8", "replace")
    except BoundedReadError as error:
        raise UsageError(f"{body_file}: {error}") from None
    client = _github_client()
    try:
        click.echo(tracking.upsert_comment(client, number, markdown, tracking.PLAN_MARKER))
    except (GitHubUnavailable, GitHubError) as error:
        _github_failed(error)
