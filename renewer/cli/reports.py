"""``renewer report``: merge the JSON reports of sharded runs, publish them to GitHub."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from renewer.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    UsageError,
    check_outputs,
    config_option,
    load,
    step_summary_or_fallback,
    step_summary_output,
    write,
    write_or_fallback,
)
from renewer.cli.main import main
from renewer.publish import actions as github
from renewer.publish import inventory, tracking
from renewer.publish.github_api import (
    GitHubClient,
    GitHubError,
    GitHubSetupError,
    GitHubUnavailable,
)
from renewer.report import merge


# -- renewer report: merge shard reports, publish to GitHub ----------------------
@main.group("report")
def report_group() -> None:
    """Merge JSON reports of sharded runs and publish them to GitHub."""


def _read_report(path: str | Path) -> dict[str, Any]:
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
    check_outputs({"-o": output, "--summary": summary_path})
    try:
        merged = merge.merge_reports([_read_report(p) for p in merge.report_files(reports)])
    except merge.ReportError as error:
        raise UsageError(str(error)) from None
    text = merge.render_json(merged)
    written = True
    if output:
        written = write_or_fallback(text, output, "-o")
    else:
        write(text, None)
    if summary_path:
        written &= write_or_fallback(merge.render_markdown(merged), summary_path, "--summary")
    if output and written:
        click.echo(f"merged {len(merged['certificates'])} certificates into {output}")
    if not written:
        sys.exit(EXIT_FAILED)


@report_group.command("publish")
@click.option("--report", "report_path", required=True, metavar="REPORT.json")
@click.option("--summary", "summary_path", metavar="OUT.md", help="Also write the Markdown here.")
@config_option
def report_publish(report_path: str, summary_path: str | None, config: str | None) -> None:
    """Job summary, tracking issue and (report mode pr) inventory pull request.

    Reads GITHUB_TOKEN, GITHUB_REPOSITORY and GITHUB_API_URL. Exit 0 also when
    the GitHub API is down (a warning); 1 if GitHub refused; 2 usage errors.
    """
    check_outputs({"--summary": summary_path, **step_summary_output()})
    body = _read_report(report_path)
    markdown = merge.render_markdown(body)
    if summary_path:
        write_or_fallback(markdown, summary_path, "--summary")
    step_summary_or_fallback(markdown)
    cfg = load(config)
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
        raise UsageError(f"{body_file}: {error.strerror or error}") from None
    client = _github_client()
    try:
        click.echo(tracking.upsert_comment(client, number, markdown, tracking.PLAN_MARKER))
    except (GitHubUnavailable, GitHubError) as error:
        _github_failed(error)
