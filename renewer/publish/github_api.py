"""A small GitHub REST client: auth, bounded retries, pagination. No domain logic.

Retried, with bounded waits: connection errors and timeouts, 5xx answers, and
the secondary rate limits (403/429 with ``Retry-After``, or with
``x-ratelimit-remaining: 0`` and ``x-ratelimit-reset``). When the attempts or
the wait budget run out the call raises ``GitHubUnavailable`` so the caller
can tell an outage (warn, keep going) from a refusal (``GitHubError``: a
missing permission, a bad request). Waits use ``threading.Event().wait`` so a
test, or a cancelled run, can cut them short.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests

from renewer.core import redact, retry
from renewer.core.errors import RenewerError

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
TIMEOUT = 20.0
MAX_ATTEMPTS = 5  # per request
BACKOFF = 2.0  # seconds before the 2nd attempt; doubles after each failure
MAX_WAIT = 60.0  # longest single wait (a Retry-After beyond it is capped)
MAX_TOTAL_WAIT = 180.0  # all waits of one client together
MAX_PAGES = 50
RETRY_STATUSES = frozenset({500, 502, 503, 504})


# The author GitHub shows for everything a workflow's GITHUB_TOKEN writes: the GitHub Actions
# app's bot user, REST ``user`` {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"}.
# That token is an app installation token, so GET /user answers it 403 "Resource not
# accessible by integration" (docs.github.com/rest/users/users#get-the-authenticated-user).
ACTIONS_BOT = ("github-actions[bot]", "Bot")

MAX_BODY = 60_000  # GitHub allows 65,536 characters in an issue, comment or PR body
MAX_ROWS = 200  # table rows shown in one issue or PR body before "… and N more"


class GitHubError(RenewerError):
    """GitHub refused the request (4xx other than a rate limit); retrying will not help."""

    show_class = True

    def __init__(self, status: int, method: str, path: str, message: str) -> None:
        self.status = status
        super().__init__(f"GitHub API {method} {path}: HTTP {status}: {message}")


class GitHubUnavailable(RenewerError):
    """GitHub did not answer usefully (outage, rate limit): transient, with its pause."""

    show_class = True
    transient = True


class GitHubSetupError(RenewerError):
    """A required environment variable (token, repository) is missing or malformed."""

    show_class = True


def _float_env(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


@dataclass
class RetryPolicy:
    """How hard to try; RENEWER_GITHUB_ATTEMPTS / RENEWER_GITHUB_BACKOFF override."""

    attempts: int = MAX_ATTEMPTS
    backoff: float = BACKOFF
    max_wait: float = MAX_WAIT
    max_total_wait: float = MAX_TOTAL_WAIT

    @classmethod
    def from_env(cls) -> RetryPolicy:
        attempts = int(_float_env("RENEWER_GITHUB_ATTEMPTS", MAX_ATTEMPTS))
        return cls(
            attempts=max(1, min(attempts, 10)),
            backoff=max(0.0, min(_float_env("RENEWER_GITHUB_BACKOFF", BACKOFF), MAX_WAIT)),
        )


@dataclass
class GitHubClient:
    """Calls ``{api_url}/repos/{repository}/...`` with a token; see the module doc."""

    token: str
    repository: str  # "owner/name"
    api_url: str = DEFAULT_API_URL
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    cancel: threading.Event = field(default_factory=threading.Event)
    session: requests.Session = field(default_factory=requests.Session)
    waited: float = 0.0
    _identity: tuple[str, str] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        redact.register(self.token)
        self.api_url = self.api_url.rstrip("/")
        self.session.headers.update(
            {
                "Authorization": f"Bearer {self.token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": "renewer",
            }
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> GitHubClient:
        """GITHUB_TOKEN, GITHUB_REPOSITORY and GITHUB_API_URL (default api.github.com)."""
        env = os.environ if environ is None else environ
        token = env.get("GITHUB_TOKEN", "").strip()
        repository = env.get("GITHUB_REPOSITORY", "").strip()
        if not token:
            raise GitHubSetupError("GITHUB_TOKEN is not set (pass the job's token in env:)")
        owner, _, name = repository.partition("/")
        if not owner or not name or "/" in name:
            raise GitHubSetupError(
                f"GITHUB_REPOSITORY must be OWNER/NAME, got {repository or 'nothing'!r}"
            )
        api_url = env.get("GITHUB_API_URL", "").strip() or DEFAULT_API_URL
        return cls(token, repository, api_url, RetryPolicy.from_env())

    # -- plumbing -----------------------------------------------------------
    def repo_path(self, suffix: str = "") -> str:
        return f"/repos/{self.repository}{suffix}"

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        allow: tuple[int, ...] = (),
    ) -> requests.Response:
        """One call with retries; statuses in ``allow`` (e.g. 404) are returned, not raised."""
        url = path if path.startswith(("http://", "https://")) else self.api_url + path
        shown = path if not path.startswith("http") else path.split("?", 1)[0]
        tries = 0

        def once() -> requests.Response:
            nonlocal tries
            tries += 1
            try:
                response = self.session.request(
                    method, url, params=params, json=json, timeout=TIMEOUT
                )
            except requests.RequestException as exc:
                last, after = exc.__class__.__name__, None
            else:
                if response.status_code < 400 or response.status_code in allow:
                    return response
                retryable, after = _retry_facts(response)
                if not retryable:
                    raise GitHubError(response.status_code, method, shown, _message(response))
                last = f"HTTP {response.status_code}"
            raise GitHubUnavailable(
                f"GitHub API {method} {shown}: {last} after {tries} attempt(s)", retry_after=after
            )

        try:
            return retry.attempt_until(
                once,
                policy=retry.Policy(
                    attempts=self.policy.attempts,
                    first=self.policy.backoff,
                    cap=self.policy.max_wait,
                    max_retry_after=self.policy.max_wait,
                ),
                cancel=self.cancel,
                may_wait=self._may_wait,
                on_retry=lambda error, _delay: log.info("%s; attempt %d", error, tries + 1),
            )
        except retry.Cancelled as cancelled:
            unanswered = cancelled.__cause__
            raise GitHubUnavailable(str(unanswered or "cancelled")) from None

    def _may_wait(self, seconds: float) -> bool:
        """Within the client's total wait budget (every request together)?"""
        if self.waited + seconds > self.policy.max_total_wait:
            return False
        self.waited += seconds
        return True

    def identity(self) -> tuple[str, str]:
        """(login, type) of whoever this token writes as, asked once.

        A personal token answers GET /user with its user; the job's GITHUB_TOKEN (an
        app installation token) is refused there and writes as ``github-actions[bot]``.
        Objects found by a marker are ours only when this identity wrote them: a
        marker alone is text anyone who can comment can type.
        """
        if self._identity is None:
            response = self.request("GET", "/user", allow=(401, 403, 404))
            user = response.json() if response.status_code == 200 else None
            if isinstance(user, dict) and user.get("login"):
                self._identity = (str(user["login"]), str(user.get("type") or "User"))
            else:
                self._identity = ACTIONS_BOT
        return self._identity

    def wrote(self, item: Mapping[str, Any]) -> bool:
        """Whether this token's identity authored ``item`` (an issue or comment)."""
        user = item.get("user")
        if not isinstance(user, Mapping):
            return False
        return (str(user.get("login")), str(user.get("type"))) == self.identity()

    # -- JSON helpers -------------------------------------------------------
    def get(self, path: str, params: Mapping[str, str | int] | None = None) -> Any:
        return self.request("GET", path, params=params).json()

    def get_or_none(self, path: str, params: Mapping[str, str | int] | None = None) -> Any:
        """The JSON body, or None on 404."""
        response = self.request("GET", path, params=params, allow=(404,))
        return None if response.status_code == 404 else response.json()

    def post(self, path: str, body: Mapping[str, Any]) -> Any:
        return self.request("POST", path, json=body).json()

    def patch(self, path: str, body: Mapping[str, Any]) -> Any:
        return self.request("PATCH", path, json=body).json()

    def put(self, path: str, body: Mapping[str, Any]) -> Any:
        return self.request("PUT", path, json=body).json()

    def paginate(
        self, path: str, params: Mapping[str, str | int] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every item of a list endpoint, following ``Link: rel="next"`` (bounded)."""
        query: dict[str, str | int] = {"per_page": 100, **(params or {})}
        next_url: str | None = path
        for _ in range(MAX_PAGES):
            if next_url is None:
                return
            response = self.request("GET", next_url, params=query)
            items = response.json()
            if not isinstance(items, list):
                raise GitHubError(response.status_code, "GET", path, "expected a JSON list")
            yield from (item for item in items if isinstance(item, dict))
            next_url = response.links.get("next", {}).get("url")
            query = {}  # the next link carries the query
        log.warning("GitHub %s: stopped after %d pages", path, MAX_PAGES)


def _retry_facts(response: requests.Response) -> tuple[bool, float | None]:
    """(worth another try, the pause GitHub asked for) for an error answer.

    5xx and the secondary rate limits (403/429 with Retry-After, or with
    ``x-ratelimit-remaining: 0`` and the epoch ``x-ratelimit-reset``) are
    retried; a plain 403 is a missing permission, other 4xx a bad request.
    """
    status, headers = response.status_code, response.headers
    if status in RETRY_STATUSES:
        return True, None
    if status not in (403, 429):
        return False, None
    if "Retry-After" in headers:
        return True, retry.parse_retry_after(headers["Retry-After"])
    if headers.get("x-ratelimit-remaining") == "0":
        try:
            reset = float(headers.get("x-ratelimit-reset", ""))
        except ValueError:
            return True, None
        return True, max(reset - datetime.now(UTC).timestamp(), 0.0) + 1.0
    return status == 429, None


def _message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return redact.redact(response.text[:200].strip() or response.reason or "")
    if isinstance(body, dict):
        text = str(body.get("message") or "")
        errors = body.get("errors")
        if isinstance(errors, list) and errors:
            text += " " + "; ".join(
                str(e.get("message") or e.get("code") or e) if isinstance(e, dict) else str(e)
                for e in errors[:3]
            )
        return redact.redact(text.strip())
    return ""
