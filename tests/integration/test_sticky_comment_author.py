"""The sticky plan comment is edited only when the token's own identity wrote it.

Against the GitHub REST stand-in, which gives every comment the ``user`` object of the REST
docs (login, id, type) and answers GET /user as GitHub does: 403 for the job's GITHUB_TOKEN
(whose comments are authored by ``github-actions[bot]``, type Bot), 200 for a personal token.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rig import GitHubStandIn
from rig.github_api import HUMAN

from renewer.publish.tracking import PLAN_MARKER
from tests.integration.runner import CliResult, run_cli
from tests.integration.test_github_reports import gh_env

pytestmark = pytest.mark.integration


def comment(api: GitHubStandIn, tmp_path: Path, number: int, text: str) -> CliResult:
    plan = tmp_path / "plan.md"
    plan.write_text(f"### renewer plan\n\n{text}\n")
    env = gh_env(api, tmp_path)
    args = ("report", "comment", "--pull-request", str(number), "--body-file", str(plan))
    result = run_cli(*args, env=env, timeout=60)
    assert result.code == 0, result.output
    return result


def test_a_humans_comment_with_the_marker_is_left_untouched(
    github_api: GitHubStandIn, tmp_path: Path
) -> None:
    number = github_api.add_issue("Add api.contoso.com")
    # A collaborator quotes the marker (copied, or on purpose to take the comment over).
    human_body = f"{PLAN_MARKER}\nPlan: nothing changes, merge freely. @org/approvers"
    human = github_api.add_comment(number, human_body)

    first = comment(github_api, tmp_path, number, "version 1")
    assert "created" in first.stdout
    assert github_api.comments[human]["body"] == human_body  # untouched
    assert not github_api.calls("PATCH", f"/issues/comments/{human}")
    ours = [
        c
        for c in github_api.issue_comments(number)
        if c["user"]["login"] == "github-actions[bot]" and c["user"]["type"] == "Bot"
    ]
    assert len(ours) == 1 and "version 1" in ours[0]["body"]

    second = comment(github_api, tmp_path, number, "version 2")  # edits its own comment
    assert "updated" in second.stdout
    assert github_api.comments[ours[0]["id"]]["body"].endswith("version 2\n")
    assert github_api.comments[human]["body"] == human_body
    assert len(github_api.issue_comments(number)) == 2
    assert github_api.violations == []  # the stand-in records any edit of another's comment


def test_a_bot_lookalike_is_not_the_bot(github_api: GitHubStandIn, tmp_path: Path) -> None:
    """Login and REST ``type`` must both match: the check does not rest on a name alone
    (GitHub logins cannot hold brackets today; the type keeps it so if that changes)."""
    number = github_api.add_issue("Add www.contoso.com")
    lookalike = {"login": "github-actions[bot]", "id": 123456, "type": "User"}
    other = github_api.add_comment(number, f"{PLAN_MARKER}\nforged", author=lookalike)
    comment(github_api, tmp_path, number, "version 1")
    assert github_api.comments[other]["body"] == f"{PLAN_MARKER}\nforged"
    assert len(github_api.issue_comments(number)) == 2
    assert github_api.violations == []


def test_with_a_personal_token_its_own_user_is_the_author(
    github_api: GitHubStandIn, tmp_path: Path
) -> None:
    """GET /user answers a personal token: comments its user wrote are edited, others not."""
    github_api.token_user = {"login": "platform-bot", "id": 4242, "type": "User"}
    number = github_api.add_issue("Add mail.contoso.com")
    human = github_api.add_comment(number, f"{PLAN_MARKER}\nnot mine", author=HUMAN)
    comment(github_api, tmp_path, number, "version 1")
    result = comment(github_api, tmp_path, number, "version 2")
    assert "updated" in result.stdout
    mine = [c for c in github_api.issue_comments(number) if c["user"]["login"] == "platform-bot"]
    assert len(mine) == 1 and mine[0]["body"].endswith("version 2\n")
    assert github_api.comments[human]["body"] == f"{PLAN_MARKER}\nnot mine"
    assert github_api.violations == []
