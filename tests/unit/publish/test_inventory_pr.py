"""publish.inventory_pr: certificates.lock.yaml committed on its branch, one pull request kept.

GitHub's side is the rig's REST stand-in (tests/rig/github_api.py): refs, contents
with blob shas, and one open pull request per head branch, as GitHub has them.
"""

from __future__ import annotations

from typing import Any

import yaml
from rig.github_api import GitHubStandIn

from renewer.core.report_json import ReportBody
from renewer.publish.github_api import GitHubClient, RetryPolicy
from renewer.publish.inventory_pr import INVENTORY_BRANCH, update_inventory_pr

LOCK = "certificates.lock.yaml"
RUN = "https://github.com/contoso/certificates/actions/runs/7"


def client(api: GitHubStandIn) -> GitHubClient:
    return GitHubClient(api.token, api.repository, api.url, RetryPolicy(attempts=1))


def report(**serials: str) -> ReportBody:
    rows: list[dict[str, Any]] = [
        {"name": n, "serial": s, "not_after": "2027-02-01T00:00:00Z"} for n, s in serials.items()
    ]
    return {"certificates": rows}  # type: ignore[typeddict-item]


def update(api: GitHubStandIn, body: ReportBody, names: tuple[str, ...] = ("web", "api")) -> str:
    return update_inventory_pr(client(api), body, LOCK, names, RUN)


def test_the_first_run_opens_a_pull_request_with_the_lock(github_api: GitHubStandIn) -> None:
    assert update(github_api, report(web="0a")) == "inventory pull request #1: opened"
    text = github_api.file_at(INVENTORY_BRANCH, LOCK)
    assert text is not None
    assert yaml.safe_load(text)["certificates"] == [
        {"name": "web", "serial": "0a", "not_after": "2027-02-01T00:00:00Z"}
    ]
    (pull,) = github_api.pulls.values()
    assert pull["title"] == f"renewer: update {LOCK}" and pull["_base"] == "main"
    assert "- added `web`: serial `0a`" in pull["body"] and f"Last updated by {RUN}" in pull["body"]
    assert github_api.violations == []


def test_a_later_renewal_commits_on_the_branch_and_updates_the_same_pull_request(
    github_api: GitHubStandIn,
) -> None:
    update(github_api, report(web="0a"))
    assert update(github_api, report(web="0b", api="1a")) == "inventory pull request #1: updated"
    assert len(github_api.pulls) == 1
    commit, _first = github_api.branch_commits(INVENTORY_BRANCH)
    assert commit.message.startswith(f"renewer: update {LOCK} (2 change(s))")
    body = github_api.pulls[1]["body"]
    assert "- added `web`: serial `0b`" in body and "- added `api`" in body  # against main


def test_a_no_op_run_without_a_pull_request_writes_nothing(github_api: GitHubStandIn) -> None:
    update(github_api, report(web="0a"))
    github_api.merge_pull(1)
    writes = len(github_api.calls("PUT"))
    result = update(github_api, report(web="0a"))
    assert result == f"inventory: {LOCK} unchanged, no pull request needed"
    assert len(github_api.calls("PUT")) == writes
    assert github_api.open_issues() == []


def test_after_a_merge_the_branch_starts_again_from_the_default_branch(
    github_api: GitHubStandIn,
) -> None:
    update(github_api, report(web="0a"))
    github_api.merge_pull(1)
    github_api.commit_to_default("README.md", "docs\n")  # main moved on after the merge
    assert update(github_api, report(web="0b")) == "inventory pull request #2: opened"
    assert [c.message.split("\n")[0] for c in github_api.branch_commits(INVENTORY_BRANCH)] == [
        f"renewer: update {LOCK} (1 change(s))"
    ]
    assert "- renewed `web`: serial `0a` -> `0b`" in github_api.pulls[2]["body"]
