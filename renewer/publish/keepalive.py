"""Keep the renew workflow's schedule switched on.

GitHub disables scheduled workflows of a public repository after 60 days
without repository activity; a certificates repository that only renews has
none, so its certificates would then expire with no run and no issue. Each
run therefore asks GitHub to enable its workflow again (REST: "Enable a
workflow", ``PUT /repos/{owner}/{repo}/actions/workflows/{workflow_id}/enable``,
204 No Content; the workflow id may be its file name; the token needs
``actions: write``). That call is GitHub's own switch for the state the
inactivity rule sets (``disabled_inactivity``), so it does not depend on
making commits to look active.

A workflow an operator switched off on purpose (``disabled_manually``) is
left off and said so: keeping schedules alive must not override a person.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

from renewer.publish.github_api import GitHubClient, GitHubError

RESPECTED = ("disabled_manually",)


def keep_enabled(client: GitHubClient, workflows: Iterable[str]) -> list[str]:
    """Enable each workflow (a file name such as renew.yml); one line per workflow."""
    lines = []
    for workflow in workflows:
        path = client.repo_path(f"/actions/workflows/{quote(workflow, safe='')}")
        found = client.get_or_none(path)
        if found is None:
            raise GitHubError(404, "GET", path, f"no workflow {workflow} in this repository")
        state = str(found.get("state", ""))
        if state in RESPECTED:
            lines.append(f"workflow {workflow}: {state}, left off (switched off by a person)")
            continue
        client.request("PUT", f"{path}/enable")
        was = f" (was {state})" if state != "active" else ""
        lines.append(f"workflow {workflow}: enabled{was}; its schedule stays on")
    return lines
