"""A small Azure Resource Manager client for the consumers: JSON in, JSON out, inside a deadline.

Why not the management SDKs: one call per kind (a tag change, a certificate
PUT, ``refreshSecret``, a secret PUT) would pull in five heavy packages.
azure-core's public ``PipelineClient`` with the bearer-token policy gives the
same sign-in and transport; this module adds what ARM documents for writes
(Microsoft Learn, azure-resource-manager/management/async-operations and
request-limits-and-throttling):

* 429 with ``Retry-After``, and 409 for a conflicting operation in progress
  (``AnotherOperationInProgress``, ``Conflict``), and 5xx: tried again, waiting
  as asked, never past the certificate's deadline;
* long-running operations: a 201/202 with ``Azure-AsyncOperation`` is polled
  until its ``status`` is terminal (Succeeded, Failed, Canceled); with only
  ``Location``, until it stops answering 202.
"""

from __future__ import annotations

import json
from typing import Any

from azure.core import PipelineClient
from azure.core.exceptions import AzureError
from azure.core.pipeline.policies import BearerTokenCredentialPolicy, RetryPolicy
from azure.core.pipeline.transport import RequestsTransport
from azure.core.rest import HttpRequest, HttpResponse

from renewer.core.errors import RenewerError
from renewer.core.retry import Deadline, NotYet, Policy, attempt_until, parse_retry_after
from renewer.core.settings import AzureSettings

TIMEOUT = 30
CONFLICT_CODES = frozenset({"AnotherOperationInProgress", "Conflict", "OperationNotAllowed"})
TERMINAL = {"succeeded": True, "failed": False, "canceled": False, "cancelled": False}
POLICY = Policy(first=1.0, cap=10.0, max_retry_after=60.0)
POLL = Policy(first=1.0, cap=10.0, max_retry_after=60.0, poll=True)


class ArmError(RenewerError):
    """An ARM call that failed: its status, ARM's error code and first message line."""

    def __init__(
        self,
        status: int | None,
        code: str,
        message: str,
        *,
        transient: bool = False,
        retry_after: float | None = None,
    ) -> None:
        text = f"HTTP {status} {code}" if status else code
        super().__init__(
            f"{text}: {message}" if message else text, transient=transient, retry_after=retry_after
        )
        self.status, self.code = status, code


class ArmClient:
    """JSON calls to ARM as the run's identity (one per Azure setting, shared by threads)."""

    def __init__(self, azure: AzureSettings, credential: Any) -> None:
        self.endpoint = azure.resolved_arm_endpoint
        options: dict[str, Any] = {"connection_timeout": TIMEOUT, "read_timeout": TIMEOUT}
        if azure.ca_bundle is not None:
            options["connection_verify"] = str(azure.ca_bundle)
        self._client: PipelineClient[HttpRequest, HttpResponse] = PipelineClient(
            self.endpoint,
            policies=[
                RetryPolicy.no_retries(),  # retries are ours, bounded by the deadline
                BearerTokenCredentialPolicy(credential, self.endpoint + "/.default"),
            ],
            transport=RequestsTransport(**options),
        )

    def close(self) -> None:
        self._client.close()

    def call(
        self,
        method: str,
        path: str,
        api_version: str,
        deadline: Deadline,
        body: Any = None,
    ) -> dict[str, Any]:
        """One ARM operation to its end (long-running ones polled); its JSON body or {}."""
        response = attempt_until(
            lambda: self._once(method, self._url(path, api_version), body),
            policy=POLICY,
            deadline=deadline,
        )
        if response.status_code in (201, 202):
            done = self._follow(response, deadline)
            if done is not None:
                return done
        return _json(response)

    def _url(self, path: str, api_version: str) -> str:
        base = path if path.startswith("https://") else self.endpoint + path
        joiner = "&" if "?" in base else "?"
        return f"{base}{joiner}api-version={api_version}" if api_version else base

    def _once(self, method: str, url: str, body: Any) -> HttpResponse:
        data = None if body is None else json.dumps(body)
        headers = {"Content-Type": "application/json"} if data is not None else {}
        request = HttpRequest(method, url, headers=headers, content=data)
        try:
            response = self._client.send_request(request, stream=False)
        except AzureError as exc:
            first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            raise ArmError(None, "Unreachable", first, transient=True) from None
        if response.status_code < 400:
            return response
        error = _json(response).get("error")
        error = error if isinstance(error, dict) else {}
        code = str(error.get("code") or response.reason or "")
        message = str(error.get("message") or "").splitlines()[0][:200] if error else ""
        status = response.status_code
        transient = status == 429 or status >= 500 or (status == 409 and code in CONFLICT_CODES)
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        raise ArmError(status, code, message, transient=transient, retry_after=retry_after)

    def _follow(self, response: HttpResponse, deadline: Deadline) -> dict[str, Any] | None:
        """Poll a long-running operation; its final resource body when the service gives one."""
        operation = response.headers.get("Azure-AsyncOperation")
        location = response.headers.get("Location")
        if operation:

            def status() -> dict[str, Any]:
                polled = _json(self._once("GET", operation, None))
                state = str(polled.get("status", "")).lower()
                if state not in TERMINAL:
                    raise NotYet(f"operation {state or 'pending'}", retry_after=_after(response))
                if not TERMINAL[state]:
                    error = polled.get("error") or {}
                    raise ArmError(
                        None, str(error.get("code") or state), str(error.get("message") or "")
                    )
                return polled

            attempt_until(status, policy=POLL, deadline=deadline)
            return None
        if location:

            def done() -> HttpResponse:
                polled = self._once("GET", location, None)
                if polled.status_code == 202:
                    raise NotYet("operation pending", retry_after=_after(polled))
                return polled

            return _json(attempt_until(done, policy=POLL, deadline=deadline))
        return None


def _after(response: HttpResponse) -> float | None:
    return parse_retry_after(response.headers.get("Retry-After"))


def _json(response: HttpResponse) -> dict[str, Any]:
    try:
        found = json.loads(response.text()) if response.content else {}
    except (ValueError, UnicodeDecodeError):
        return {}
    return found if isinstance(found, dict) else {}
