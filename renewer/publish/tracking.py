"""What a run tells GitHub: the tracking issue, the sticky plan comment, the inventory PR.

Every object is found again by a hidden marker, so reruns update in place and
never duplicate; but a marker is only text, which anyone who can comment can
type, so an issue or comment is ours only when the token's own identity wrote
it (``GitHubClient.wrote``). The tracking issue also keeps a machine-readable
state (a hidden JSON comment) so a partial run (``--only``, a shard that did
not report) does not forget problems it did not look at. That state is read
from one place only: the last line of the body our identity wrote, where text
from outside never goes (it is rendered inert, in the table above it).

- report mode ``issue``: the tracking issue only.
- report mode ``pr``: the tracking issue (a pull request is no alarm) and one
  pull request from branch ``renewer/inventory`` recording certificates.lock.yaml.
- report mode ``none``: nothing beyond the job summary.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from renewer.core import escape, timefmt
from renewer.core.report_json import ReportBody
from renewer.publish import inventory_pr
from renewer.publish.github_api import MAX_BODY, MAX_ROWS, GitHubClient, GitHubError

TRACKING_MARKER = "<!-- renewer-tracking -->"
STAGING_SUFFIXES = (".staging.yaml", ".staging.yml")
PLAN_MARKER = "<!-- renewer-plan -->"
LABEL = "certificates"
LABEL_COLOR = "d93f0b"
EXPIRY_WINDOW = timedelta(days=7)
ICONS = {
    "failed": "❌ failed",
    "expiring": "⏳ expiring",
    "stale": "🔁 stale endpoint",
    "blocked": "🔒 blocked",
    "deferred": "⏸️ deferred",
}
_STATE = re.compile(r"<!-- renewer-state: (\{.*\}) -->")


@dataclass(frozen=True)
class Problem:
    name: str
    kind: str  # "failed" | "expiring" | "blocked" | "deferred"
    detail: str
    not_after: str | None
    since: str

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "detail": self.detail,
            "not_after": self.not_after,
            "since": self.since,
        }


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


ESCALATED = ("critical", "expired")


def find_problems(report: ReportBody, now: datetime) -> dict[str, Problem]:
    """Certificates that failed, are blocked by a lock, were deferred while critical, or
    expire within 7 days without a successful renewal.

    A blocked certificate is always listed: it was due and nobody renewed it in
    this run, and if the holder is stuck, no later report would say so either.
    """
    found: dict[str, Problem] = {}
    for row in report.get("certificates", []):
        name, result = str(row.get("name", "")), row.get("result")
        not_after = row.get("not_after")
        expiry = _parse_time(not_after)
        if result == "failed":
            detail = str(row.get("error") or "failed")
            found[name] = Problem(name, "failed", detail, not_after, timefmt.stamp(now))
        elif result == "blocked" or (result == "deferred" and row.get("severity") in ESCALATED):
            detail = str(row.get("error") or result)
            if row.get("severity_words"):
                detail = f"{row['severity_words']}: {detail}"
            found[name] = Problem(name, str(result), detail, not_after, timefmt.stamp(now))
        elif (
            result != "succeeded"
            and expiry is not None
            and expiry - now <= EXPIRY_WINDOW
            and not _on_schedule(row.get("renew_at"), expiry, now)
        ):
            left = expiry - now
            detail = "expired" if left <= timedelta(0) else f"expires in {timefmt.span(left)}"
            found[name] = Problem(name, "expiring", detail, not_after, timefmt.stamp(now))
    found.update((n, p) for n, p in stale_endpoints(report, now).items() if n not in found)
    return found


def _on_schedule(renew_at: object, expiry: datetime, now: datetime) -> bool:
    """A certificate the plan renews later, before it expires: no alarm yet.

    A 6-day or 24-hour certificate always expires "within 7 days"; listing it on
    every run would bury the real problems. Once its renewal time has passed and no
    run renewed it, it is listed again.
    """
    when = _parse_time(renew_at if isinstance(renew_at, str) else None)
    return when is not None and now < when < expiry


def stale_endpoints(report: Mapping[str, Any], now: datetime) -> dict[str, Problem]:
    """renewer verify: certificates an endpoint still serves an old version of, past grace.

    Read from the report's ``verify`` section (docs/verify.schema.json) as plain data.
    """
    rows = (report.get("verify") or {}).get("endpoints") or []
    stale: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        if isinstance(row, Mapping) and row.get("verdict") == "stale":
            stale.setdefault(str(row.get("certificate", "")), []).append(row)
    found = {}
    for name, hits in stale.items():
        first = hits[0]
        more = f" (and {len(hits) - 1} more endpoints)" if len(hits) > 1 else ""
        where = f"{first.get('endpoint')} [{first.get('address')}]"
        detail = f"{where}: {first.get('message')}{more}"
        not_after = (first.get("served") or {}).get("not_after")
        found[name] = Problem(name, "stale", detail, not_after, timefmt.stamp(now))
    return found


def read_state(body: str | None) -> dict[str, Problem]:
    """The problems an earlier run recorded in the issue body.

    Only the body's last line counts: ``issue_body`` writes the state there, after
    everything else, and JSON-escapes ``<`` and ``>`` inside it, so no text of a
    problem can end a line of its own, open a comment or sit after the state.
    """
    last = (body or "").rstrip().splitlines()[-1:]
    match = _STATE.fullmatch(last[0]) if last else None
    if not match:
        return {}
    try:
        data = json.loads(match.group(1))
    except ValueError:
        return {}
    problems = {}
    for name, item in data.items() if isinstance(data, dict) else ():
        if isinstance(item, dict):
            problems[name] = Problem(
                name,
                str(item.get("kind", "failed")),
                str(item.get("detail", "")),
                item.get("not_after"),
                str(item.get("since", "")),
            )
    return problems


def combine(
    previous: Mapping[str, Problem],
    current: Mapping[str, Problem],
    reported: Collection[str],
    configured: Collection[str] | None,
) -> dict[str, Problem]:
    """This run's view for what it reported; the old view for what it did not, if configured.

    ``configured`` None: the certificates file did not validate, so which names it
    holds is unknown; every earlier problem is kept rather than silently dropped.
    """
    seen = {n.lower() for n in reported}
    wanted = None if configured is None else {n.lower() for n in configured}
    kept = {
        name: problem
        for name, problem in previous.items()
        if name.lower() not in seen and (wanted is None or name.lower() in wanted)
    }
    for name, problem in current.items():
        old = previous.get(name)
        kept[name] = Problem(
            name,
            problem.kind,
            problem.detail,
            problem.not_after,
            old.since if old else problem.since,
        )
    return dict(sorted(kept.items(), key=lambda item: item[0].lower()))


def _outside(text: str) -> str:
    """A problem's words carry a CA's, a DNS API's or an endpoint's text: inert."""
    return escape.inert(text, escape.Target.MARKDOWN_CELL)


def scope_of(config: Path) -> str:
    """Which tracking issue a certificates file reports to: "" (the one issue) unless it is
    a staging file (``*.staging.yaml``), which keeps an issue named after it.

    The renew workflow publishes certificates.yaml and certificates.staging.yaml in
    one run; each keeps an issue of its own, or one file's run would close the
    other's problems (their certificate names may well be the same). Any other
    file name keeps the one unscoped issue, so a repository whose only file has
    another name finds the issue earlier runs opened.
    """
    return config.name if config.name.endswith(STAGING_SUFFIXES) else ""


def tracking_marker(scope: str = "") -> str:
    """The hidden marker of the tracking issue of ``scope`` (see scope_of)."""
    return f"<!-- renewer-tracking: {scope} -->" if scope else TRACKING_MARKER


def issue_body(
    problems: Mapping[str, Problem], run_url: str | None, generated_at: str, scope: str = ""
) -> str:
    rows = list(problems.values())
    lines = [
        tracking_marker(scope),
        f"## Certificates need attention{f' ({scope})' if scope else ''}",
        "",
        f"{len(rows)} certificate(s) failed to renew, expire within "
        f"{EXPIRY_WINDOW.days} days, or are still served in an old version past grace. "
        "renewer updates this issue on every run and closes it when all certificates are "
        "healthy again.",
        "",
        "| Certificate | Problem | Expiry | Since |",
        "|---|---|---|---|",
    ]
    for problem in rows[:MAX_ROWS]:
        icon = ICONS.get(problem.kind, "⏳ expiring")
        lines.append(
            f"| {_outside(problem.name)} | {icon}: {_outside(problem.detail)} | "
            f"{_outside((problem.not_after or '')[:10])} | {_outside(problem.since[:10])} |"
        )
    if len(rows) > MAX_ROWS:
        lines.append(f"| … | and {len(rows) - MAX_ROWS} more | | |")
    lines += ["", f"Last run: {f'[{generated_at}]({run_url})' if run_url else generated_at}", ""]
    state = json.dumps({p.name: p.as_json() for p in rows}, separators=(",", ":"))
    state = state.replace(">", "\\u003e").replace("<", "\\u003c")
    text = "\n".join(lines)
    footer = f"<!-- renewer-state: {state} -->\n"
    return text[: MAX_BODY - len(footer)] + "\n" + footer


def _issue_title(count: int, scope: str = "") -> str:
    where = f" in {scope}" if scope else ""
    return f"Certificates need attention{where}: {count} failing or expiring"


def find_tracking_issue(client: GitHubClient, scope: str = "") -> dict[str, Any] | None:
    """The oldest open issue labelled ``certificates`` that carries the scope's marker and
    that this token's identity opened (anyone may open an issue with the marker and label)."""
    marker = tracking_marker(scope)
    candidates = [
        issue
        for issue in client.paginate(
            client.repo_path("/issues"), {"state": "open", "labels": LABEL}
        )
        if "pull_request" not in issue
        and marker in (issue.get("body") or "")
        and client.wrote(issue)
    ]
    return min(candidates, key=lambda i: int(i["number"])) if candidates else None


def ensure_label(client: GitHubClient) -> None:
    if client.get_or_none(client.repo_path(f"/labels/{LABEL}")) is not None:
        return
    try:
        client.post(
            client.repo_path("/labels"),
            {
                "name": LABEL,
                "color": LABEL_COLOR,
                "description": "Certificate renewal problems (renewer)",
            },
        )
    except GitHubError as exc:
        if exc.status != 422:  # 422: created meanwhile
            raise


def update_tracking_issue(
    client: GitHubClient,
    report: ReportBody,
    configured: Collection[str] | None,
    run_url: str | None,
    now: datetime,
    scope: str = "",
) -> str:
    """Open, update or close the tracking issue; returns one line saying what it did."""
    issue = find_tracking_issue(client, scope)
    previous = read_state(issue.get("body") if issue else None)
    reported = [str(row.get("name", "")) for row in report.get("certificates", [])]
    problems = combine(previous, find_problems(report, now), reported, configured)
    link = f" ({run_url})" if run_url else ""
    if not problems:
        if issue is None:
            return "tracking issue: all certificates healthy, no open issue"
        number = issue["number"]
        client.post(
            client.repo_path(f"/issues/{number}/comments"),
            {"body": f"All certificates are healthy again{link}. Closing."},
        )
        client.patch(
            client.repo_path(f"/issues/{number}"),
            {"state": "closed", "state_reason": "completed"},
        )
        return f"tracking issue #{number}: closed, all certificates healthy"
    generated = str(report.get("generated_at") or timefmt.stamp(now))
    body = issue_body(problems, run_url, generated, scope)
    title = _issue_title(len(problems), scope)
    if issue is None:
        ensure_label(client)
        created = client.post(
            client.repo_path("/issues"), {"title": title, "body": body, "labels": [LABEL]}
        )
        return f"tracking issue #{created['number']}: opened ({len(problems)} problem(s))"
    number = issue["number"]
    if issue.get("body") != body or issue.get("title") != title:
        client.patch(client.repo_path(f"/issues/{number}"), {"title": title, "body": body})
    new = [name for name in problems if name not in previous]
    if new:
        shown = (escape.inert(n, escape.Target.MARKDOWN) for n in new[:50])
        names = ", ".join(shown) + (" …" if len(new) > 50 else "")
        client.post(
            client.repo_path(f"/issues/{number}/comments"),
            {"body": f"Newly failing or expiring: {names}{link}"},
        )
    return f"tracking issue #{number}: updated ({len(problems)} problem(s), {len(new)} new)"


def upsert_comment(client: GitHubClient, number: int, markdown: str, marker: str) -> str:
    """One comment per pull request carrying ``marker``: created once, then edited.

    Only a comment this token's identity wrote is edited: a reviewer's comment that
    quotes the marker is left alone, and a new comment is made instead.
    """
    body = f"{marker}\n{markdown}"
    if len(body) > MAX_BODY:
        body = body[:MAX_BODY] + "\n\n… (truncated; the full plan is in the job summary)\n"
    path = client.repo_path(f"/issues/{number}/comments")
    for comment in client.paginate(path):
        if marker in (comment.get("body") or "") and client.wrote(comment):
            if comment.get("body") != body:
                client.patch(client.repo_path(f"/issues/comments/{comment['id']}"), {"body": body})
                return f"pull request #{number}: plan comment updated"
            return f"pull request #{number}: plan comment unchanged"
    client.post(path, {"body": body})
    return f"pull request #{number}: plan comment created"


def skip_reason(report: ReportBody, mode: str) -> str | None:
    """Why this report publishes nothing beyond the job summary, or None."""
    if mode == "none":
        return "report mode none: nothing published besides the job summary"
    if report.get("dry_run"):
        return "dry run: tracking issue and inventory left as they are"
    return None


def publish(
    client: GitHubClient,
    report: ReportBody,
    mode: str,
    configured: Collection[str] | None,
    lock_path: str,
    run_url: str | None,
    now: datetime | None = None,
    scope: str = "",
) -> list[str]:
    """Everything report mode ``mode`` (issue or pr) asks for; one line per thing done.

    ``configured`` None: the file did not validate (see combine); no inventory then.
    """
    moment = now or datetime.now(UTC)
    done = [update_tracking_issue(client, report, configured, run_url, moment, scope)]
    if mode == "pr" and configured is not None:
        done.append(
            inventory_pr.update_inventory_pr(client, report, lock_path, configured, run_url)
        )
    return done
