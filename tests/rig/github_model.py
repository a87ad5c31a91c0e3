"""The GitHub REST stand-in's data: request records, commits, faults, body shapes, authors.

Shared by tests/rig/github_api.py (the server and its issue endpoints) and
tests/rig/github_git.py (the repository's refs, contents and pull requests).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

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


def user_json(user: Mapping[str, Any]) -> JsonObject:
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
