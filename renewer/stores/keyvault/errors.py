"""Azure SDK failures as one StoreError line that names the vault and the object.

Library exceptions carry request details and multi-line service messages; a
run report needs one line a human can act on. Tokens and secret values never
appear: only the status, Key Vault's error code and the first line of its
message (which names resources, never their values) are kept.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from azure.core.exceptions import (
    AzureError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)

from renewer.core import redact
from renewer.stores.contract import StoreError

GRANT = (
    "grant 'Key Vault Certificates Officer' (and 'Key Vault Secrets Officer' on the account secret)"
)
MAX_DETAIL = 160


def _first_line(text: str | None) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return redact.redact(line)[:MAX_DETAIL]


def describe_http(vault: str, subject: str, exc: HttpResponseError) -> str:
    """One line for an HTTP failure (or a sign-in failure, which has no status)."""
    status = exc.status_code
    if status is None:  # the credential failed before any request reached the vault
        return f"Azure sign-in for vault {vault} failed ({subject}): {_first_line(exc.message)}"
    if status == 403:
        return f"no permission on vault {vault} for {subject}: {GRANT}"
    if status == 401:
        return (
            f"vault {vault} rejected the Azure token ({subject}): check the tenant and that "
            "the identity may use this vault"
        )
    if status == 404:
        return f"vault {vault}: {subject} not found"
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None) or exc.reason or ""
    message = getattr(error, "message", None) or ""
    detail = f": {_first_line(message)}" if message else ""
    return f"vault {vault}: {subject}: HTTP {status} {code}{detail}"


@contextlib.contextmanager
def vault_errors(vault: str, subject: str) -> Iterator[None]:
    """Turn any Azure SDK error raised inside into a StoreError naming vault and subject."""
    try:
        yield
    except StoreError:
        raise
    except HttpResponseError as exc:
        # azure-core's RetryPolicy already retried throttling and 5xx; the facts say
        # whether a later try may still succeed.
        busy = exc.status_code is not None and (exc.status_code == 429 or exc.status_code >= 500)
        raise StoreError(describe_http(vault, subject, exc), transient=busy) from None
    except ServiceRequestError:
        raise StoreError(f"vault {vault} unreachable ({subject})", transient=True) from None
    except ServiceResponseError:
        raise StoreError(f"vault {vault} did not answer ({subject})", transient=True) from None
    except AzureError as exc:
        raise StoreError(f"vault {vault}: {subject}: {exc.__class__.__name__}") from None
