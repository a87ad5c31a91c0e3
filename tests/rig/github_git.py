"""The GitHub REST stand-in's repository: its state, and the git endpoints renewer uses.

Commits, branches (refs) and file contents, and pull requests between branches,
as docs.github.com/rest/git/refs, /rest/repos/contents and /rest/pulls/pulls
describe them: contents PUTs need the current blob ``sha``, a ref update must
fast-forward unless forced, a second open pull request for one head branch is
refused. The server around it (authentication, routing, faults, issues) is
tests/rig/github_api.py, whose ``GitHubStandIn`` is this class with a server.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import threading
from typing import Any
from urllib.parse import urlencode

from .github_model import (
    ACTIONS_BOT,
    SHAPES,
    TOKEN,
    ApiError,
    Commit,
    Fault,
    JsonObject,
    Recorded,
    blob_sha,
    user_json,
)


class GitRepository:
    """One repository's state (issues, pulls, comments, labels, commits, refs, workflows)."""

    def __init__(
        self,
        token: str = TOKEN,
        repository: str = "contoso/certificates",
        default_branch: str = "main",
        page_size: int = 100,
    ) -> None:
        self.token = token
        self.repository = repository
        self.default_branch = default_branch
        self.page_size = page_size
        # The immutable numeric ids of GET /repos/{owner}/{repo} (`id`, `owner.id`), which
        # GitHub's immutable OIDC subjects embed (repo:OWNER@OWNER_ID/NAME@REPO_ID:...).
        self.repository_id = 821093847
        self.owner_id = 5544123
        self.lock = threading.RLock()
        self.requests: list[Recorded] = []
        self.violations: list[str] = []
        self.outage = False
        self.outage_status = 502
        self._faults: list[Fault] = []
        self._ids = itertools.count(1000)
        self._numbers = itertools.count(1)
        self.issues: dict[int, JsonObject] = {}  # issues and pulls share numbers
        self.pulls: dict[int, JsonObject] = {}
        self.comments: dict[int, JsonObject] = {}
        self.labels: dict[str, JsonObject] = {}
        root = Commit(self._sha(), None, "initial commit", {})
        self.commits: dict[str, Commit] = {root.sha: root}
        self.refs: dict[str, str] = {default_branch: root.sha}
        # Workflows by file name, as GET /actions/workflows/{id} shows them. States are the
        # documented ones: active, deleted, disabled_fork, disabled_inactivity,
        # disabled_manually (https://docs.github.com/en/rest/actions/workflows).
        self.workflows: dict[str, JsonObject] = {
            "renew.yml": {"id": 161335, "path": ".github/workflows/renew.yml", "state": "active"}
        }
        self.actions_write = True  # False: the token lacks `actions: write` (403, as GitHub)
        self.token_user: JsonObject | None = None  # None: the job's GITHUB_TOKEN (see module)

    @property
    def url(self) -> str:
        """The server's base URL, which page links name (the server class provides it)."""
        raise NotImplementedError

    def writer(self) -> JsonObject:
        """Who the token writes as: its user, or the GitHub Actions bot for GITHUB_TOKEN."""
        return user_json(self.token_user or ACTIONS_BOT)

    def file_at(self, branch: str, path: str) -> str | None:
        with self.lock:
            sha = self.refs.get(branch)
            data = self.commits[sha].files.get(path) if sha else None
            return None if data is None else data.decode("utf-8")

    def branch_commits(self, branch: str) -> list[Commit]:
        """Commits on ``branch`` that the default branch does not have, newest first."""
        with self.lock:
            base = set(self._ancestry(self.refs[self.default_branch]))
            return [self.commits[s] for s in self._ancestry(self.refs[branch]) if s not in base]

    def commit_to_default(self, path: str, text: str, message: str = "edit") -> str:
        """Simulate a merge or a direct push to the default branch."""
        with self.lock:
            head = self.commits[self.refs[self.default_branch]]
            files = {**head.files, path: text.encode()}
            commit = Commit(self._sha(), head.sha, message, files)
            self.commits[commit.sha] = commit
            self.refs[self.default_branch] = commit.sha
            return commit.sha

    def merge_pull(self, number: int) -> None:
        """Fast-forward the default branch to the PR head and close the PR (a merge)."""
        with self.lock:
            pull = self.pulls[number]
            self.refs[pull["_base"]] = self.refs[pull["_head"]]
            pull["state"] = self.issues[number]["state"] = "closed"

    # -- helpers -------------------------------------------------------------
    def _sha(self) -> str:
        return hashlib.sha1(str(next(self._ids)).encode(), usedforsecurity=False).hexdigest()

    def _ancestry(self, sha: str | None) -> list[str]:
        out = []
        while sha is not None:
            out.append(sha)
            sha = self.commits[sha].parent
        return out

    def _check(self, shape_name: str, body: Any) -> JsonObject:
        shape = SHAPES[shape_name]
        if not isinstance(body, dict):
            raise self._violation(f"{shape_name}: body must be a JSON object, got {body!r}")
        for key, value in body.items():
            if key not in shape:
                raise self._violation(f"{shape_name}: unexpected field {key!r}")
            types, _ = shape[key]
            if not isinstance(value, types):
                raise self._violation(f"{shape_name}: field {key!r} has type {type(value)}")
        for key, (_, required) in shape.items():
            if required and key not in body:
                raise self._violation(f"{shape_name}: missing required field {key!r}")
        return body

    def _violation(self, message: str, status: int = 422) -> ApiError:
        self.violations.append(message)
        return ApiError(status, message)

    def _issue_json(self, issue: JsonObject) -> JsonObject:
        out = {k: v for k, v in issue.items() if not k.startswith("_")}
        out["labels"] = [self.labels.get(n, {"name": n}) for n in issue["labels"]]
        return out

    def _page(self, items: list[JsonObject], query: dict[str, str], path: str) -> Any:
        per_page = min(int(query.get("per_page", 30)), 100, self.page_size)
        page = int(query.get("page", 1))
        chunk = items[(page - 1) * per_page : page * per_page]
        extra = {}
        if page * per_page < len(items):
            nxt = {**query, "page": str(page + 1)}
            extra["Link"] = f'<{self.url}{path}?{urlencode(nxt)}>; rel="next"'
        return 200, chunk, extra

    # -- git endpoints -------------------------------------------------------
    def _pull_json(self, pull: JsonObject) -> JsonObject:
        owner = self.repository.split("/")[0]
        head = pull["_head"]
        return {
            **{k: v for k, v in pull.items() if not k.startswith("_")},
            "head": {"ref": head, "label": f"{owner}:{head}", "sha": self.refs.get(head)},
            "base": {"ref": pull["_base"]},
        }

    def _list_pulls(self, query: dict[str, str], body: Any) -> Any:
        state = query.get("state", "open")
        owner = self.repository.split("/")[0]
        items = [
            self._pull_json(p)
            for _, p in sorted(self.pulls.items())
            if (state == "all" or p["state"] == state)
            and ("head" not in query or query["head"] == f"{owner}:{p['_head']}")
            and ("base" not in query or query["base"] == p["_base"])
        ]
        return self._page(items, query, f"/repos/{self.repository}/pulls")

    def _create_pull(self, query: dict[str, str], body: Any) -> Any:
        data = self._check("pull.create", body)
        head, base = data["head"].split(":")[-1], data["base"]
        if head not in self.refs or base not in self.refs:
            raise self._violation("pull.create: head or base branch does not exist")
        if any(p["_head"] == head and p["state"] == "open" for p in self.pulls.values()):
            raise self._violation(f"pull.create: a pull request already exists for {head}")
        if self.refs[head] in self._ancestry(self.refs[base]):
            raise self._violation(f"pull.create: no commits between {base} and {head}")
        number = next(self._numbers)
        pull = {
            "id": next(self._ids),
            "number": number,
            "title": data["title"],
            "body": data.get("body"),
            "state": "open",
            "html_url": f"https://github.invalid/{self.repository}/pull/{number}",
            "user": self.writer(),
            "_head": head,
            "_base": base,
        }
        self.pulls[number] = pull
        issue = {
            **{k: pull[k] for k in ("id", "number", "title", "body", "state", "html_url", "user")},
            "state_reason": None,
            "labels": [],
            "pull_request": {"url": pull["html_url"]},
        }
        self.issues[number] = issue
        return 201, self._pull_json(pull), {}

    def _update_pull(self, query: dict[str, str], body: Any, number: str) -> Any:
        data = self._check("pull.update", body)
        pull = self.pulls.get(int(number))
        if pull is None:
            raise ApiError(404, "Not Found")
        pull.update({k: v for k, v in data.items() if k != "base"})
        return 200, self._pull_json(pull), {}

    def _get_ref(self, query: dict[str, str], body: Any, branch: str) -> Any:
        if branch not in self.refs:
            raise ApiError(404, "Not Found")
        sha = self.refs[branch]
        return 200, {"ref": f"refs/heads/{branch}", "object": {"sha": sha, "type": "commit"}}, {}

    def _create_ref(self, query: dict[str, str], body: Any) -> Any:
        data = self._check("ref.create", body)
        if not data["ref"].startswith("refs/heads/") or data["ref"].count("/") < 2:
            raise self._violation(f"ref.create: ref must be refs/heads/NAME, got {data['ref']!r}")
        if data["sha"] not in self.commits:
            raise self._violation("ref.create: sha is not a commit", 422)
        branch = data["ref"].removeprefix("refs/heads/")
        if branch in self.refs:
            raise ApiError(422, "Reference already exists")
        self.refs[branch] = data["sha"]
        return 201, {"ref": data["ref"], "object": {"sha": data["sha"], "type": "commit"}}, {}

    def _update_ref(self, query: dict[str, str], body: Any, branch: str) -> Any:
        data = self._check("ref.update", body)
        if branch not in self.refs:
            raise ApiError(422, "Reference does not exist")
        if data["sha"] not in self.commits:
            raise self._violation("ref.update: sha is not a commit")
        fast_forward = self.refs[branch] in self._ancestry(data["sha"])
        if not fast_forward and not data.get("force"):
            raise ApiError(422, "Update is not a fast forward")
        self.refs[branch] = data["sha"]
        sha = data["sha"]
        return 200, {"ref": f"refs/heads/{branch}", "object": {"sha": sha, "type": "commit"}}, {}

    def _get_contents(self, query: dict[str, str], body: Any, path: str) -> Any:
        branch = query.get("ref", self.default_branch)
        if branch not in self.refs:
            raise ApiError(404, f"No commit found for the ref {branch}")
        data = self.commits[self.refs[branch]].files.get(path)
        if data is None:
            raise ApiError(404, "Not Found")
        encoded = base64.encodebytes(data).decode("ascii")  # GitHub wraps lines too
        return (
            200,
            {
                "type": "file",
                "path": path,
                "name": path.rsplit("/", 1)[-1],
                "sha": blob_sha(data),
                "encoding": "base64",
                "content": encoded,
            },
            {},
        )

    def _put_contents(self, query: dict[str, str], body: Any, path: str) -> Any:
        data = self._check("contents.put", body)
        branch = data.get("branch", self.default_branch)
        if branch not in self.refs:
            raise self._violation(f"contents.put: branch {branch!r} does not exist")
        try:
            content = base64.b64decode(data["content"], validate=True)
        except (binascii.Error, ValueError):
            raise self._violation("contents.put: content is not valid base64") from None
        head = self.commits[self.refs[branch]]
        existing = head.files.get(path)
        if existing is not None and "sha" not in data:
            raise self._violation('contents.put: "sha" wasn\'t supplied for an existing file')
        if existing is not None and data["sha"] != blob_sha(existing):
            raise ApiError(409, f"{path} does not match {data['sha']}")
        if existing is None and "sha" in data:
            raise self._violation("contents.put: sha given for a file that does not exist")
        commit = Commit(self._sha(), head.sha, data["message"], {**head.files, path: content})
        self.commits[commit.sha] = commit
        self.refs[branch] = commit.sha
        status = 200 if existing is not None else 201
        info = {"path": path, "sha": blob_sha(content), "type": "file"}
        made = {"sha": commit.sha, "message": commit.message}
        return status, {"content": info, "commit": made}, {}
