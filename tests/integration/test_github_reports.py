"""`renewer report publish|comment` against the GitHub REST stand-in (tests/rig/github_api.py).

The real CLI runs as a subprocess with GITHUB_API_URL pointed at the stand-in,
which checks every request (auth, body shapes, blob shas) and records it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from rig import GitHubStandIn

from renewer.publish.github_api import GitHubClient, GitHubError, GitHubUnavailable, RetryPolicy
from renewer.publish.tracking import PLAN_MARKER, TRACKING_MARKER
from tests.integration.runner import REPO, CliResult, run_cli

NOW = datetime.now(UTC)
NAMES = ("www-contoso-com", "api-contoso-com", "mail-contoso-com")


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def entry(
    name: str,
    result: str = "skipped",
    days_left: float = 60,
    serial: str | None = "0a0b",
    error: str | None = None,
) -> dict[str, Any]:
    action = "skip" if result == "skipped" else "renew"
    return {
        "name": name,
        "action": action,
        "reason": "ok" if action == "skip" else "due",
        "result": result,
        "domains": [f"{name}.example"],
        "serial": serial,
        "not_after": _when(NOW + timedelta(days=days_left)),
        "renew_at": None,
        "error": error,
        "duration_seconds": 1.0 if action != "skip" else None,
    }


def write_report(path: Path, *entries: dict[str, Any], dry_run: bool = False) -> Path:
    summary = {k: 0 for k in ("issue", "renew", "skip", "succeeded", "failed", "skipped")}
    summary["planned"] = 0
    summary["total"] = len(entries)
    for e in entries:
        summary[e["action"]] += 1
        summary[e["result"]] += 1
    body = {
        "schema_version": 1,
        "generated_at": _when(NOW),
        "dry_run": dry_run,
        "executed": True,
        "summary": summary,
        "certificates": list(entries),
        "unmanaged": [],
    }
    path.write_text(json.dumps(body))
    return path


def write_config(tmp_path: Path, mode: str = "issue", names: tuple[str, ...] = NAMES) -> Path:
    config = {
        "acme": {"directory": "https://127.0.0.1:14000/dir"},
        "store": {"type": "directory", "path": str(tmp_path / "certs")},
        "dns": {"type": "challtestsrv", "url": "http://127.0.0.1:8055"},
        "report": {"mode": mode},
        "certificates": [{"name": n, "domains": [f"{n}.example"]} for n in names],
    }
    path = tmp_path / "certificates.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def gh_env(api: GitHubStandIn, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "GITHUB_API_URL": api.url,
        "GITHUB_TOKEN": api.token,
        "GITHUB_REPOSITORY": api.repository,
        "GITHUB_SERVER_URL": "https://github.invalid",
        "GITHUB_RUN_ID": "4242",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "step-summary.md"),
        "RENEWER_GITHUB_BACKOFF": "0.05",
        **extra,
    }


def publish(
    api: GitHubStandIn, tmp_path: Path, report: Path, config: Path, **extra: str
) -> CliResult:
    args = ["report", "publish", "--report", str(report), "-c", str(config)]
    args += ["--summary", str(tmp_path / "summary.md")]
    return run_cli(*args, env=gh_env(api, tmp_path, **extra), timeout=60)


def tracking_issues(api: GitHubStandIn) -> list[dict[str, Any]]:
    return [i for i in api.issues.values() if TRACKING_MARKER in (i.get("body") or "")]


# -- tracking issue ------------------------------------------------------------------
def test_issue_opened_updated_without_duplicate_then_closed(
    github_api: GitHubStandIn, tmp_path: Path
) -> None:
    config = write_config(tmp_path)
    healthy = [entry(n) for n in NAMES]

    first = write_report(
        tmp_path / "1.json",
        entry(NAMES[0], "failed", days_left=20, error="dns-01: TXT not visible"),
        *healthy[1:],
    )
    result = publish(github_api, tmp_path, first, config)
    assert result.code == 0, result.output
    assert "opened" in result.stdout
    (issue,) = tracking_issues(github_api)
    assert issue["state"] == "open" and issue["labels"] == ["certificates"]
    assert NAMES[0] in issue["body"] and "dns-01: TXT not visible" in issue["body"]
    assert "https://github.invalid/contoso/certificates/actions/runs/4242" in issue["body"]
    assert "certificates" in github_api.labels

    second = write_report(
        tmp_path / "2.json",
        entry(NAMES[0], "failed", days_left=19, error="dns-01: TXT not visible"),
        entry(NAMES[1], "skipped", days_left=3),  # close to expiry, not renewed
        healthy[2],
    )
    result = publish(github_api, tmp_path, second, config)
    assert result.code == 0, result.output
    assert [i["number"] for i in tracking_issues(github_api)] == [issue["number"]]
    body = github_api.issues[issue["number"]]["body"]
    assert NAMES[1] in body and "expires in" in body
    comments = github_api.issue_comments(issue["number"])
    assert len(comments) == 1 and NAMES[1] in comments[0]["body"]

    patches = len(github_api.calls("PATCH", "/issues/"))
    result = publish(github_api, tmp_path, second, config)  # the same state again
    assert result.code == 0, result.output
    assert len(github_api.calls("PATCH", "/issues/")) == patches, "unchanged body: no edit"
    assert len(github_api.issue_comments(issue["number"])) == 1
    assert len(tracking_issues(github_api)) == 1

    renewed = write_report(
        tmp_path / "3.json",
        entry(NAMES[0], "succeeded", days_left=90, serial="1111"),
        entry(NAMES[1], "succeeded", days_left=90, serial="2222"),
        healthy[2],
    )
    result = publish(github_api, tmp_path, renewed, config)
    assert result.code == 0, result.output
    closed = github_api.issues[issue["number"]]
    assert closed["state"] == "closed" and closed["state_reason"] == "completed"
    assert "healthy again" in github_api.issue_comments(issue["number"])[-1]["body"]

    result = publish(github_api, tmp_path, renewed, config)
    assert result.code == 0 and "no open issue" in result.stdout
    assert len(tracking_issues(github_api)) == 1

    result = publish(github_api, tmp_path, first, config)  # a new incident: a new issue
    assert result.code == 0, result.output
    assert [i["state"] for i in tracking_issues(github_api)] == ["closed", "open"]
    assert github_api.violations == []


def test_expiry_window_is_seven_days_and_success_counts(
    github_api: GitHubStandIn, tmp_path: Path
) -> None:
    config = write_config(tmp_path)
    report = write_report(
        tmp_path / "r.json",
        entry(NAMES[0], days_left=7.5),
        entry(NAMES[1], "succeeded", days_left=2),  # just renewed: fine whatever it says
        entry(NAMES[2], days_left=30),
    )
    assert publish(github_api, tmp_path, report, config).code == 0
    assert tracking_issues(github_api) == []
    report = write_report(tmp_path / "r.json", entry(NAMES[0], days_left=6.5))
    assert publish(github_api, tmp_path, report, config).code == 0
    (issue,) = tracking_issues(github_api)
    assert NAMES[0] in issue["body"] and NAMES[1] not in issue["body"]
    report = write_report(tmp_path / "r.json", entry(NAMES[0], days_left=-1))
    assert publish(github_api, tmp_path, report, config).code == 0
    assert "expired" in github_api.issues[issue["number"]]["body"]


def test_partial_run_keeps_problems_it_did_not_look_at(
    github_api: GitHubStandIn, tmp_path: Path
) -> None:
    config = write_config(tmp_path)
    failing = write_report(
        tmp_path / "1.json", entry(NAMES[0], "failed", error="CA said no"), entry(NAMES[1])
    )
    assert publish(github_api, tmp_path, failing, config).code == 0
    only_other = write_report(tmp_path / "2.json", entry(NAMES[1], "succeeded", 90))
    assert publish(github_api, tmp_path, only_other, config).code == 0
    (issue,) = tracking_issues(github_api)
    assert issue["state"] == "open" and NAMES[0] in issue["body"]
    # The failing certificate is removed from the config: nothing is left to track.
    smaller = write_config(tmp_path, names=NAMES[1:])
    assert publish(github_api, tmp_path, only_other, smaller).code == 0
    assert github_api.issues[issue["number"]]["state"] == "closed"


def test_issue_found_among_many_pages(github_api: GitHubStandIn, tmp_path: Path) -> None:
    github_api.page_size = 2
    for index in range(5):
        github_api.add_issue(f"other {index}", "no marker", labels=("certificates",))
    config = write_config(tmp_path)
    failing = write_report(tmp_path / "1.json", entry(NAMES[0], "failed", error="x"))
    assert publish(github_api, tmp_path, failing, config).code == 0
    assert publish(github_api, tmp_path, failing, config).code == 0
    assert len(tracking_issues(github_api)) == 1
    pages = {r.query.get("page") for r in github_api.calls("GET", "/issues")}
    assert {"2", "3"} <= pages


# -- sticky plan comment ------------------------------------------------------------
def test_plan_comment_is_created_once_then_updated(
    github_api: GitHubStandIn, tmp_path: Path
) -> None:
    github_api.page_size = 2
    number = github_api.add_issue("Add api.contoso.com")
    for index in range(3):
        github_api.add_comment(number, f"review comment {index}")
    env = gh_env(github_api, tmp_path)
    plan = tmp_path / "plan.md"
    for version in (1, 2, 2):
        plan.write_text(f"### renewer plan\n\nversion {version}\n")
        result = run_cli(
            "report", "comment", "--pull-request", str(number), "--body-file", str(plan), env=env
        )
        assert result.code == 0, result.output
    ours = [c for c in github_api.issue_comments(number) if PLAN_MARKER in c["body"]]
    assert len(ours) == 1 and "version 2" in ours[0]["body"]
    assert ours[0]["body"].startswith(PLAN_MARKER)
    assert len(github_api.calls("POST", "/comments")) == 1
    assert len(github_api.calls("PATCH", "/issues/comments/")) == 1
    assert "unchanged" in result.stdout
    assert github_api.violations == []


# -- report mode pr: the inventory pull request ----------------------------------------
def test_pr_mode_opens_one_pr_then_updates_it(github_api: GitHubStandIn, tmp_path: Path) -> None:
    config = write_config(tmp_path, mode="pr")
    lock = "certificates.lock.yaml"
    first = write_report(
        tmp_path / "1.json",
        *(entry(n, "succeeded", 90, serial=f"aa{i}") for i, n in enumerate(NAMES)),
    )
    result = publish(github_api, tmp_path, first, config)
    assert result.code == 0, result.output
    assert "opened" in result.stdout
    (pull,) = github_api.pulls.values()
    assert pull["_head"] == "renewer/inventory" and pull["_base"] == "main"
    text = github_api.file_at("renewer/inventory", lock)
    assert text is not None
    data = yaml.safe_load(text)
    assert [c["name"] for c in data["certificates"]] == sorted(NAMES)
    for item in data["certificates"]:
        assert set(item) <= {
            "name",
            "serial",
            "version",
            "thumbprint",
            "issuer",
            "not_after",
            "domains",
        }
    assert "PRIVATE KEY" not in text

    second = write_report(tmp_path / "2.json", entry(NAMES[0], "succeeded", 90, serial="bb0"))
    result = publish(github_api, tmp_path, second, config)
    assert result.code == 0, result.output
    assert len(github_api.pulls) == 1 and "updated" in result.stdout
    commits = github_api.branch_commits("renewer/inventory")
    assert len(commits) == 2 and "bb0" in commits[0].message
    assert "aa1" in (github_api.file_at("renewer/inventory", lock) or "")  # kept: not reported
    assert "bb0" in (github_api.pulls[pull["number"]]["body"] or "")

    assert publish(github_api, tmp_path, second, config).code == 0  # nothing new
    assert len(github_api.branch_commits("renewer/inventory")) == 2

    github_api.merge_pull(pull["number"])
    assert publish(github_api, tmp_path, second, config).code == 0  # merged, nothing new
    assert len(github_api.pulls) == 1
    third = write_report(tmp_path / "3.json", entry(NAMES[1], "succeeded", 90, serial="cc1"))
    result = publish(github_api, tmp_path, third, config)
    assert result.code == 0, result.output
    assert len(github_api.pulls) == 2 and "opened" in result.stdout
    commits = github_api.branch_commits("renewer/inventory")
    assert len(commits) == 1 and "cc1" in commits[0].message  # branch restarted from main
    assert github_api.violations == []


# -- retries, outages, refusals -----------------------------------------------------
def test_502_burst_is_retried(github_api: GitHubStandIn, tmp_path: Path) -> None:
    config = write_config(tmp_path)
    github_api.fail_next(3, status=502)
    report = write_report(tmp_path / "r.json", entry(NAMES[0], "failed", error="boom"))
    result = publish(github_api, tmp_path, report, config)
    assert result.code == 0, result.output
    assert [r.status for r in github_api.requests[:4]] == [502, 502, 502, 200]
    assert len(tracking_issues(github_api)) == 1
    assert "warning" not in result.output.lower()


def test_secondary_rate_limits_are_retried(github_api: GitHubStandIn, tmp_path: Path) -> None:
    config = write_config(tmp_path)
    github_api.rate_limit_next(2, retry_after=0)
    github_api.rate_limit_next(1, retry_after=None)  # 429 + x-ratelimit-reset
    report = write_report(tmp_path / "r.json", entry(NAMES[0], "failed", error="boom"))
    result = publish(github_api, tmp_path, report, config)
    assert result.code == 0, result.output
    assert [r.status for r in github_api.requests[:4]] == [403, 403, 429, 200]
    assert len(tracking_issues(github_api)) == 1


def test_outage_exits_0_with_a_warning_and_writes_the_summary(
    github_api: GitHubStandIn, tmp_path: Path
) -> None:
    config = write_config(tmp_path)
    github_api.outage = True
    report = write_report(tmp_path / "r.json", entry(NAMES[0], "succeeded", 90, serial="9f"))
    env = {**os.environ, "PYTHONPATH": str(REPO), **gh_env(github_api, tmp_path)}
    env["GITHUB_ACTIONS"] = "true"
    started = time.monotonic()
    args = ["report", "publish", "--report", str(report), "-c", str(config)]
    proc = subprocess.run(
        [sys.executable, "-m", "renewer", *args, "--summary", str(tmp_path / "summary.md")],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert time.monotonic() - started < 30
    assert "::warning title=renewer report::GitHub API unavailable" in proc.stdout
    assert "::error" not in proc.stdout
    assert "| `www-contoso-com` |" in (tmp_path / "summary.md").read_text()
    step_summary = (tmp_path / "step-summary.md").read_text()
    assert "| `www-contoso-com` |" in step_summary and "GitHub API unavailable" in step_summary
    assert 1 <= len(github_api.requests) <= 5, "bounded retries"


def test_refusal_is_an_error_not_a_warning(github_api: GitHubStandIn, tmp_path: Path) -> None:
    config = write_config(tmp_path)
    report = write_report(tmp_path / "r.json", entry(NAMES[0], "failed", error="boom"))
    result = publish(github_api, tmp_path, report, config, GITHUB_TOKEN="ghs_wrong_token_123")
    assert result.code == 1, result.output
    assert "GitHub refused" in result.stderr and "HTTP 401" in result.stderr
    assert len(github_api.requests) == 1, "a refusal is not retried"
    assert "ghs_wrong_token_123" not in result.output


def test_missing_token_is_a_usage_error(github_api: GitHubStandIn, tmp_path: Path) -> None:
    config = write_config(tmp_path)
    report = write_report(tmp_path / "r.json", entry(NAMES[0], "failed", error="boom"))
    result = publish(github_api, tmp_path, report, config, GITHUB_TOKEN="")
    assert result.code == 2 and "GITHUB_TOKEN" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert (tmp_path / "summary.md").is_file(), "the summary comes first"


@pytest.mark.parametrize(("mode", "dry_run"), [("none", False), ("issue", True)])
def test_mode_none_and_dry_runs_publish_nothing(
    github_api: GitHubStandIn, tmp_path: Path, mode: str, dry_run: bool
) -> None:
    config = write_config(tmp_path, mode=mode)
    report = write_report(
        tmp_path / "r.json", entry(NAMES[0], "failed", error="boom"), dry_run=dry_run
    )
    result = publish(github_api, tmp_path, report, config)
    assert result.code == 0, result.output
    assert github_api.requests == []
    assert (tmp_path / "step-summary.md").read_text().startswith("### renewer")


# -- the client's retry policy, in process ----------------------------------------------
def _client(api: GitHubStandIn, **policy: Any) -> GitHubClient:
    return GitHubClient(api.token, api.repository, api.url, RetryPolicy(**policy))


def test_client_gives_up_after_bounded_attempts(github_api: GitHubStandIn) -> None:
    github_api.outage = True
    client = _client(github_api, attempts=3, backoff=0.01)
    with pytest.raises(GitHubUnavailable, match="HTTP 502 after 3 attempt"):
        client.get(client.repo_path())
    assert len(github_api.requests) == 3


def test_client_caps_waits_and_stops_at_the_wait_budget(github_api: GitHubStandIn) -> None:
    github_api.rate_limit_next(1, retry_after=3600)  # capped to max_wait
    client = _client(github_api, attempts=5, backoff=0.01, max_wait=0.05, max_total_wait=1.0)
    started = time.monotonic()
    assert client.get(client.repo_path())["default_branch"] == "main"
    assert time.monotonic() - started < 2
    github_api.outage = True
    client = _client(github_api, attempts=10, backoff=0.2, max_wait=0.2, max_total_wait=0.3)
    with pytest.raises(GitHubUnavailable):
        client.get(client.repo_path())
    assert len(github_api.requests) <= 1 + 3, "the total wait budget bounds the attempts"


def test_client_stops_waiting_when_cancelled(github_api: GitHubStandIn) -> None:
    github_api.outage = True
    client = _client(github_api, attempts=5, backoff=30, max_wait=30)
    client.cancel.set()
    started = time.monotonic()
    with pytest.raises(GitHubUnavailable):
        client.get(client.repo_path())
    assert time.monotonic() - started < 5


def test_client_plain_403_is_a_refusal(github_api: GitHubStandIn) -> None:
    github_api.fail_next(1, status=403)
    client = _client(github_api, attempts=5, backoff=0.01)
    with pytest.raises(GitHubError) as caught:
        client.get(client.repo_path())
    assert caught.value.status == 403 and len(github_api.requests) == 1
