"""A GitHub REST stand-in: the endpoints renewer uses, with in-memory state.

A threaded HTTP server on 127.0.0.1 (a stand-in, like tests/rig/arm.py: GitHub
itself cannot be run here). It is strict where GitHub is and where renewer
could go wrong: every request needs ``Authorization: Bearer <token>`` (or
``token <token>``) and the GitHub media type; JSON bodies are checked against
the fields each endpoint takes (unknown or missing fields, wrong types are a
422 and a recorded violation); contents PUTs need the current blob ``sha``;
a second open pull request for one head branch is refused, as on GitHub.

Authors, as the REST docs show them (docs.github.com/rest/issues/comments,
docs.github.com/rest/issues/issues): every issue, pull request and comment
carries ``user`` {login, id, type} and ``author_association``. What the token
writes is authored by the token's identity: by default the job's GITHUB_TOKEN,
whose author is the GitHub Actions bot ``github-actions[bot]`` (id 41898282,
type "Bot") and which GET /user refuses with 403 "Resource not accessible by
integration" (an app installation token; docs.github.com/rest/users/users).
``token_user`` set to a user object models a personal token instead: GET /user
answers it and it writes as that user. ``add_issue`` / ``add_comment`` write as
someone else (a human collaborator unless told otherwise).

Faults for retry tests: ``fail_next(n, status)`` answers the next n requests
with a 5xx, ``rate_limit_next(n)`` with a secondary rate limit (403 +
Retry-After, or 429/x-ratelimit-reset), and ``outage = True`` fails everything.
Every request is recorded in ``requests`` (method, path, query, body, status).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from .threaded import ThreadedServer

JsonObject = dict[str, Any]
MEDIA_TYPE = "application/vnd.github"
TOKEN = "ghs_standin_token_0123456789"


class ApiError(Exception):
    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]
    status: int = 0


@dataclass
class Commit:
    sha: str
    parent: str | None
    message: str
    files: dict[str, bytes]


@dataclass
class Fault:
    status: int
    headers: dict[str, str] = field(default_factory=dict)


# field name -> (accepted types, required)
Shape = dict[str, tuple[tuple[type, ...], bool]]
_STR = (str,)
_OPT_STR = (str, type(None))

SHAPES: dict[str, Shape] = {
    "issue.create": {
        "title": (_STR, True),
        "body": (_OPT_STR, False),
        "labels": ((list,), False),
        "assignees": ((list,), False),
    },
    "issue.update": {
        "title": (_STR, False),
        "body": (_OPT_STR, False),
        "state": (_STR, False),
        "state_reason": (_OPT_STR, False),
        "labels": ((list,), False),
    },
    "comment": {"body": (_STR, True)},
    "label.create": {
        "name": (_STR, True),
        "color": (_STR, False),
        "description": (_OPT_STR, False),
    },
    "pull.create": {
        "title": (_STR, True),
        "head": (_STR, True),
        "base": (_STR, True),
        "body": (_OPT_STR, False),
        "draft": ((bool,), False),
    },
    "pull.update": {
        "title": (_STR, False),
        "body": (_OPT_STR, False),
        "state": (_STR, False),
        "base": (_STR, False),
    },
    "ref.create": {"ref": (_STR, True), "sha": (_STR, True)},
    "ref.update": {"sha": (_STR, True), "force": ((bool,), False)},
    "contents.put": {
        "message": (_STR, True),
        "content": (_STR, True),
        "branch": (_STR, False),
        "sha": (_STR, False),
        "committer": ((dict,), False),
        "author": ((dict,), False),
    },
}


ACTIONS_BOT: JsonObject = {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"}
HUMAN: JsonObject = {"login": "mallory-dev", "id": 7310042, "type": "User"}


def _user(user: Mapping[str, Any]) -> JsonObject:
    """The simple-user object of the REST docs (the fields renewer could read)."""
    login = str(user["login"])
    return {
        "login": login,
        "id": int(user["id"]),
        "type": str(user["type"]),
        "html_url": f"https://github.invalid/{login}",
        "site_admin": False,
    }


def blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


class GitHubStandIn(ThreadedServer[ThreadingHTTPServer]):
    """Start with ``with GitHubStandIn() as gh:``; point GITHUB_API_URL at ``gh.url``."""

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

    # -- lifecycle -----------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._server is not None, "not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> GitHubStandIn:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        self._serve(server, "github-standin", poll_interval=0.5)
        return self

    # -- faults and inspection -----------------------------------------------
    def fail_next(self, count: int, status: int = 502) -> None:
        with self.lock:
            self._faults += [Fault(status) for _ in range(count)]

    def rate_limit_next(self, count: int, retry_after: int | None = 0) -> None:
        """403 + Retry-After (seconds), or with None: 429 + x-ratelimit-remaining 0/reset."""
        with self.lock:
            for _ in range(count):
                if retry_after is not None:
                    self._faults.append(Fault(403, {"Retry-After": str(retry_after)}))
                else:
                    reset = str(int(time.time()))
                    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}
                    self._faults.append(Fault(429, headers))

    def calls(self, method: str | None = None, path_contains: str = "") -> list[Recorded]:
        with self.lock:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method) and path_contains in r.path
            ]

    def open_issues(self) -> list[JsonObject]:
        with self.lock:
            return [i for i in self.issues.values() if i["state"] == "open"]

    def issue_comments(self, number: int) -> list[JsonObject]:
        with self.lock:
            return [c for c in self.comments.values() if c["issue_number"] == number]

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

    def writer(self) -> JsonObject:
        """Who the token writes as: its user, or the GitHub Actions bot for GITHUB_TOKEN."""
        return _user(self.token_user or ACTIONS_BOT)

    def add_issue(
        self,
        title: str,
        body: str = "",
        labels: tuple[str, ...] = (),
        state: str = "open",
        author: Mapping[str, Any] = HUMAN,
    ) -> int:
        """An issue made by someone else (labels are created as needed)."""
        with self.lock:
            for name in labels:
                self.labels.setdefault(name, {"name": name, "color": "ededed"})
            number = next(self._numbers)
            self.issues[number] = {
                "id": next(self._ids),
                "number": number,
                "title": title,
                "body": body,
                "state": state,
                "state_reason": None,
                "labels": list(labels),
                "html_url": f"https://github.invalid/{self.repository}/issues/{number}",
                "user": _user(author),
                "author_association": "COLLABORATOR",
            }
            return number

    def add_comment(self, number: int, body: str, author: Mapping[str, Any] = HUMAN) -> int:
        """A comment someone else wrote (a human collaborator unless ``author`` says)."""
        with self.lock:
            comment_id = next(self._ids)
            self.comments[comment_id] = {
                "id": comment_id,
                "issue_number": number,
                "body": body,
                "user": _user(author),
                "author_association": "COLLABORATOR",
            }
            return comment_id

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

    # -- dispatch ------------------------------------------------------------
    def handle(self, method: str, target: str, headers: Mapping[str, str], raw: bytes) -> Any:
        """Returns (status, json body, extra headers); raises ApiError."""
        parts = urlsplit(target)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
        record = Recorded(method, parts.path, query, body, dict(headers))
        with self.lock:
            self.requests.append(record)
            try:
                status, payload, extra = self._route(method, parts.path, query, headers, raw, body)
            except ApiError as error:
                record.status = error.status
                raise
            record.status = status
            return status, payload, extra

    def _route(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        headers: Mapping[str, str],
        raw: bytes,
        body: Any,
    ) -> tuple[int, Any, dict[str, str]]:
        if self.outage:
            raise ApiError(self.outage_status, "Service unavailable (stand-in outage)")
        if self._faults:
            fault = self._faults.pop(0)
            raise ApiError(fault.status, "injected fault", fault.headers)
        auth = headers.get("authorization", "")
        if auth not in (f"Bearer {self.token}", f"token {self.token}"):
            raise self._violation(f"{method} {path}: bad or missing Authorization", 401)
        if MEDIA_TYPE not in headers.get("accept", "") and "json" not in headers.get("accept", ""):
            raise self._violation(f"{method} {path}: Accept is not the GitHub media type", 415)
        if raw and "application/json" not in headers.get("content-type", ""):
            raise self._violation(f"{method} {path}: body without Content-Type JSON", 415)
        if raw and not isinstance(body, dict):
            raise self._violation(f"{method} {path}: body is not a JSON object", 400)
        if path == "/user" and method == "GET":
            if self.token_user is None:
                raise ApiError(403, "Resource not accessible by integration")
            return 200, _user(self.token_user), {}
        prefix = f"/repos/{self.repository}"
        if not (path == prefix or path.startswith(prefix + "/")):
            raise ApiError(404, "Not Found")
        rest = path[len(prefix) :]
        for pattern, verb, func in self._routes():
            match = re.fullmatch(pattern, rest)
            if match and verb == method:
                return func(query, body, *(unquote(g) for g in match.groups()))
        raise ApiError(404 if method == "GET" else 405, f"no route for {method} {rest}")

    def _routes(self) -> list[tuple[str, str, Callable[..., tuple[int, Any, dict[str, str]]]]]:
        return [
            (r"", "GET", self._repo),
            (r"/issues", "GET", self._list_issues),
            (r"/issues", "POST", self._create_issue),
            (r"/issues/(\d+)", "PATCH", self._update_issue),
            (r"/issues/(\d+)/comments", "GET", self._list_comments),
            (r"/issues/(\d+)/comments", "POST", self._create_comment),
            (r"/issues/comments/(\d+)", "PATCH", self._update_comment),
            (r"/labels/([^/]+)", "GET", self._get_label),
            (r"/labels", "POST", self._create_label),
            (r"/pulls", "GET", self._list_pulls),
            (r"/pulls", "POST", self._create_pull),
            (r"/pulls/(\d+)", "PATCH", self._update_pull),
            (r"/git/ref/heads/(.+)", "GET", self._get_ref),
            (r"/git/refs", "POST", self._create_ref),
            (r"/git/refs/heads/(.+)", "PATCH", self._update_ref),
            (r"/contents/(.+)", "GET", self._get_contents),
            (r"/contents/(.+)", "PUT", self._put_contents),
            (r"/actions/workflows/([^/]+)", "GET", self._get_workflow),
            (r"/actions/workflows/([^/]+)/enable", "PUT", self._enable_workflow),
        ]

    def _page(self, items: list[JsonObject], query: dict[str, str], path: str) -> Any:
        per_page = min(int(query.get("per_page", 30)), 100, self.page_size)
        page = int(query.get("page", 1))
        chunk = items[(page - 1) * per_page : page * per_page]
        extra = {}
        if page * per_page < len(items):
            nxt = {**query, "page": str(page + 1)}
            extra["Link"] = f'<{self.url}{path}?{urlencode(nxt)}>; rel="next"'
        return 200, chunk, extra

    # -- endpoints -----------------------------------------------------------
    def _get_workflow(self, query: dict[str, str], body: Any, workflow_id: str) -> Any:
        return _get_workflow(self, query, body, workflow_id)

    def _enable_workflow(self, query: dict[str, str], body: Any, workflow_id: str) -> Any:
        return _enable_workflow(self, query, body, workflow_id)

    def _repo(self, query: dict[str, str], body: Any) -> Any:
        owner, _, name = self.repository.partition("/")
        return (
            200,
            {
                "id": self.repository_id,
                "name": name,
                "full_name": self.repository,
                "owner": {"login": owner, "id": self.owner_id, "type": "Organization"},
                "default_branch": self.default_branch,
            },
            {},
        )

    def _list_issues(self, query: dict[str, str], body: Any) -> Any:
        state = query.get("state", "open")
        wanted = {n for n in query.get("labels", "").split(",") if n}
        items = [
            self._issue_json(i)
            for _, i in sorted(self.issues.items())
            if (state == "all" or i["state"] == state) and wanted <= set(i["labels"])
        ]
        return self._page(items, query, f"/repos/{self.repository}/issues")

    def _create_issue(self, query: dict[str, str], body: Any) -> Any:
        data = self._check("issue.create", body)
        labels = data.get("labels", [])
        for name in labels:
            if name not in self.labels:
                raise self._violation(f"issue.create: label {name!r} does not exist")
        number = next(self._numbers)
        issue = {
            "id": next(self._ids),
            "number": number,
            "title": data["title"],
            "body": data.get("body"),
            "state": "open",
            "state_reason": None,
            "labels": list(labels),
            "html_url": f"https://github.invalid/{self.repository}/issues/{number}",
            "user": self.writer(),
            "author_association": "NONE",
        }
        self.issues[number] = issue
        return 201, self._issue_json(issue), {}

    def _issue(self, number: str) -> JsonObject:
        issue = self.issues.get(int(number))
        if issue is None:
            raise ApiError(404, "Not Found")
        return issue

    def _update_issue(self, query: dict[str, str], body: Any, number: str) -> Any:
        data = self._check("issue.update", body)
        issue = self._issue(number)
        if data.get("state") not in (None, "open", "closed"):
            raise self._violation(f"issue.update: bad state {data['state']!r}")
        if data.get("state_reason") not in (None, "completed", "not_planned", "reopened"):
            raise self._violation(f"issue.update: bad state_reason {data['state_reason']!r}")
        issue.update({k: v for k, v in data.items() if k != "labels"})
        if "labels" in data:
            issue["labels"] = list(data["labels"])
        return 200, self._issue_json(issue), {}

    def _list_comments(self, query: dict[str, str], body: Any, number: str) -> Any:
        self._issue(number)
        items = [dict(c) for c in self.comments.values() if c["issue_number"] == int(number)]
        return self._page(items, query, f"/repos/{self.repository}/issues/{number}/comments")

    def _create_comment(self, query: dict[str, str], body: Any, number: str) -> Any:
        data = self._check("comment", body)
        self._issue(number)
        comment = {
            "id": next(self._ids),
            "issue_number": int(number),
            "body": data["body"],
            "user": self.writer(),
            "author_association": "NONE",
        }
        self.comments[comment["id"]] = comment
        return 201, dict(comment), {}

    def _update_comment(self, query: dict[str, str], body: Any, comment_id: str) -> Any:
        data = self._check("comment", body)
        comment = self.comments.get(int(comment_id))
        if comment is None:
            raise ApiError(404, "Not Found")
        if comment["user"]["login"] != self.writer()["login"]:
            # Recorded: renewer must never edit what another author wrote. (GitHub itself
            # lets a token with issues: write edit any comment, which is the danger.)
            self.violations.append(f"comment {comment_id}: edited, but written by someone else")
        comment["body"] = data["body"]
        return 200, dict(comment), {}

    def _get_label(self, query: dict[str, str], body: Any, name: str) -> Any:
        if name not in self.labels:
            raise ApiError(404, "Not Found")
        return 200, self.labels[name], {}

    def _create_label(self, query: dict[str, str], body: Any) -> Any:
        data = self._check("label.create", body)
        if data["name"] in self.labels:
            raise ApiError(422, "Validation Failed: already_exists")
        if not re.fullmatch(r"[0-9a-fA-F]{6}", data.get("color", "ededed")):
            raise self._violation(f"label.create: bad color {data.get('color')!r}")
        self.labels[data["name"]] = {"name": data["name"], "color": data.get("color", "ededed")}
        return 201, self.labels[data["name"]], {}

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


def _workflow(api: GitHubStandIn, workflow_id: str) -> JsonObject:
    """By numeric id or by file name, as GitHub accepts both for ``workflow_id``."""
    for name, workflow in api.workflows.items():
        if workflow_id in (name, str(workflow["id"])):
            return workflow
    raise ApiError(404, "Not Found")


def _get_workflow(api: GitHubStandIn, query: dict[str, str], body: Any, workflow_id: str) -> Any:
    workflow = _workflow(api, workflow_id)
    name = workflow["path"].rsplit("/", 1)[-1]
    return 200, {**workflow, "name": name.removesuffix(".yml")}, {}


def _enable_workflow(api: GitHubStandIn, query: dict[str, str], body: Any, workflow_id: str) -> Any:
    """``PUT .../enable``: 204 with no body; 403 "Resource not accessible by integration"
    when the GITHUB_TOKEN was not granted ``actions: write`` (GitHub's answer then)."""
    workflow = _workflow(api, workflow_id)
    if body is not None:
        raise api._violation(f"PUT enable {workflow_id}: takes no body", 400)
    if not api.actions_write:
        raise ApiError(403, "Resource not accessible by integration")
    workflow["state"] = "active"
    workflow["enabled_at"] = time.time()
    return 204, None, {}


def _handler_for(api: GitHubStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                status, payload, extra = api.handle(self.command, self.path, headers, raw)
            except ApiError as error:
                status, payload, extra = error.status, {"message": error.message}, error.headers
            data = b"" if status == 204 else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for key, value in extra.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

    return Handler
