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

import json
import re
import time
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from .github_git import GitRepository

# ACTIONS_BOT and TOKEN are re-exported (`X as X`): tests import them from here.
from .github_model import ACTIONS_BOT as ACTIONS_BOT
from .github_model import (
    HUMAN,
    MEDIA_TYPE,
    ApiError,
    Fault,
    JsonObject,
    Recorded,
    user_json,
)
from .github_model import TOKEN as TOKEN
from .threaded import ThreadedServer


class GitHubStandIn(GitRepository, ThreadedServer[ThreadingHTTPServer]):
    """Start with ``with GitHubStandIn() as gh:``; point GITHUB_API_URL at ``gh.url``."""

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
                "user": user_json(author),
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
                "user": user_json(author),
                "author_association": "COLLABORATOR",
            }
            return comment_id

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
            return 200, user_json(self.token_user), {}
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

    # -- issue, label and workflow endpoints ---------------------------------
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
