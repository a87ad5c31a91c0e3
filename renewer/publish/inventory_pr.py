"""Report mode ``pr``: one pull request from ``renewer/inventory`` that records
certificates.lock.yaml, the public facts of what was issued (serial, expiry,
domains; never a key), so the inventory lives in the repository.
"""

from __future__ import annotations

import base64
from collections.abc import Collection
from typing import Any
from urllib.parse import quote

from renewer.core.report_json import ReportBody
from renewer.publish import inventory
from renewer.publish.github_api import MAX_BODY, MAX_ROWS, GitHubClient, GitHubError

INVENTORY_BRANCH = "renewer/inventory"


def _contents(client: GitHubClient, path: str, ref: str) -> tuple[str | None, str | None]:
    """(text, blob sha) of ``path`` at ``ref``; (None, None) if absent."""
    found = client.get_or_none(client.repo_path(f"/contents/{quote(path)}"), {"ref": ref})
    if not isinstance(found, dict) or found.get("type", "file") != "file":
        return None, None
    text = base64.b64decode(str(found.get("content", ""))).decode("utf-8")
    return text, str(found["sha"])


def _head_sha(client: GitHubClient, branch: str) -> str | None:
    ref = client.get_or_none(client.repo_path(f"/git/ref/heads/{quote(branch)}"))
    return str(ref["object"]["sha"]) if isinstance(ref, dict) else None


def update_inventory_pr(
    client: GitHubClient,
    report: ReportBody,
    lock_path: str,
    configured: Collection[str],
    run_url: str | None,
) -> str:
    """Commit certificates.lock.yaml on ``renewer/inventory`` and open or update its PR."""
    default = str(client.get(client.repo_path())["default_branch"])
    owner = client.repository.split("/", 1)[0]
    pulls = list(
        client.paginate(
            client.repo_path("/pulls"),
            {"state": "open", "head": f"{owner}:{INVENTORY_BRANCH}", "base": default},
        )
    )
    base_sha = _head_sha(client, default)
    if base_sha is None:
        raise GitHubError(404, "GET", f"git/ref/heads/{default}", "default branch has no head")
    branch_sha = _head_sha(client, INVENTORY_BRANCH)
    if branch_sha is None:
        client.post(
            client.repo_path("/git/refs"),
            {"ref": f"refs/heads/{INVENTORY_BRANCH}", "sha": base_sha},
        )
    elif not pulls and branch_sha != base_sha:  # an old, merged or closed branch: start afresh
        client.patch(
            client.repo_path(f"/git/refs/heads/{quote(INVENTORY_BRANCH)}"),
            {"sha": base_sha, "force": True},
        )
    previous, blob = _contents(client, lock_path, INVENTORY_BRANCH)
    text = inventory.build_lock(report, previous, configured)
    changes = inventory.describe_changes(previous, text)
    if text != previous:
        message = f"renewer: update {lock_path} ({len(changes)} change(s))"
        if changes:
            message += "\n\n" + "\n".join("- " + line.replace("`", "") for line in changes[:100])
        put: dict[str, Any] = {
            "message": message,
            "content": base64.b64encode(text.encode("utf-8")).decode("ascii"),
            "branch": INVENTORY_BRANCH,
        }
        if blob:
            put["sha"] = blob
        client.put(client.repo_path(f"/contents/{quote(lock_path)}"), put)
    elif not pulls:
        return f"inventory: {lock_path} unchanged, no pull request needed"
    base_text, _ = _contents(client, lock_path, default)
    body = _pr_body(lock_path, inventory.describe_changes(base_text, text), run_url)
    if pulls:
        number = pulls[0]["number"]
        client.patch(client.repo_path(f"/pulls/{number}"), {"body": body})
        return f"inventory pull request #{number}: updated"
    created = client.post(
        client.repo_path("/pulls"),
        {
            "title": f"renewer: update {lock_path}",
            "head": INVENTORY_BRANCH,
            "base": default,
            "body": body,
        },
    )
    return f"inventory pull request #{created['number']}: opened"


def _pr_body(lock_path: str, changes: list[str], run_url: str | None) -> str:
    lines = [
        f"renewer records the certificates it issued in `{lock_path}`. Merge to keep the "
        "inventory in the repository; the file holds public facts only (serial, expiry, "
        "domains), never a key.",
        "",
        "Changes against the default branch:",
        "",
    ]
    lines += [f"- {line}" for line in changes[:MAX_ROWS]] or ["- (none)"]
    if len(changes) > MAX_ROWS:
        lines.append(f"- … and {len(changes) - MAX_ROWS} more")
    if run_url:
        lines += ["", f"Last updated by {run_url}"]
    return "\n".join(lines)[:MAX_BODY] + "\n"
