"""``renewer report``: merge the JSON reports of sharded runs, publish them to GitHub."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import NoReturn

import click

from renewer.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    UsageError,
    config_option,
    load,
    write,
)
from renewer.cli.main import main
from renewer.cli.notify import announce
from renewer.core.report_json import ReportBody
from renewer.publish import actions as github
from renewer.publish import inventory, tracking
from renewer.publish.github_api import (
    GitHubClient,
    GitHubError,
    GitHubSetupError,
    GitHubUnavailable,
)
from renewer.report import merge
from renewer.verify import render as verify_render


def _markdown(body: ReportBody) -> str:
    """The run's Markdown, plus its verify section (issue 15) when the report has one."""
    markdown = merge.render_markdown(body)
    verify = body.get("verify")
    if isinstance(verify, dict):
        markdown += "\n" + verify_render.markdown_from_body(verify, heading="####")
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
        merged = merge.merge_reports([_read_report(p) for p in merge.report_files(reports)])
    except merge.ReportError as error:
        raise UsageError(str(error)) from None
    write(merge.render_json(merged), output)
    if summary_path:
        Path(summary_path).write_text(_markdown(merged), encoding="utf-8")
    if output:
        click.echo(f"merged {len(merged['certificates'])} certificates into {output}")


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
    body = _read_report(report_path)
    markdown = _markdown(body)
    if summary_path:
        Path(summary_path).write_text(markdown, encoding="utf-8")
    github.append_step_summary(markdown)
    cfg = load(config)
    skip = tracking.skip_reason(body, cfg.report_mode)
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
                cfg.report_mode,
                [spec.name for spec in cfg.certificates],
                inventory.lock_path_for(cfg.path),
                github.run_url(),
            ):
                click.echo(line)
                issue_url = issue_url or _issue_url(line, client.repository)
        except (GitHubUnavailable, GitHubError) as error:
            failure = error
    if notify and not body.get("dry_run"):  # after the tracking issue, so it can be linked
        announce(cfg, body, issue_url, summary_path)
    if failure is not None:
        _github_failed(failure)


def _issue_url(line: str, repository: str) -> str | None:
    """The tracking issue's web address from tracking.publish's "tracking issue #N: ..." line."""
    found = re.match(r"tracking issue #(\d+)", line)
    if not found:
        return None
    server = (os.environ.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/")
    return f"{server}/{repository}/issues/{found.group(1)}"


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
        raise UsageError(f"{body_file}: {error.strerror or error}") from None
    client = _github_client()
    try:
        click.echo(tracking.upsert_comment(client, number, markdown, tracking.PLAN_MARKER))
    except (GitHubUnavailable, GitHubError) as error:
        _github_failed(error)
