"""The GitHub Actions OIDC request variables, taken out of the environment at start.

``ACTIONS_ID_TOKEN_REQUEST_URL`` and ``_TOKEN`` let whoever holds them mint OIDC
tokens for this job, which Entra exchanges for the renew identity: the keys to every
certificate the config names. Only sign-in needs them. So the first thing a renewer
process does (the CLI's group callback) is read them once into this module and delete
them from ``os.environ``: a DNS program, a plugin, a notifier or any child process
started later finds them gone. The request token is registered for redaction.

In core, not beside ``azure.signin``, so the CLI calls it at start without loading any
Azure module (a run without Azure loads none).
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from dataclasses import dataclass

from renewer.core import redact

REQUEST_URL_ENV = "ACTIONS_ID_TOKEN_REQUEST_URL"
REQUEST_TOKEN_ENV = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"  # noqa: S105 (a variable name)


@dataclass(frozen=True)
class OidcRequest:
    """Where and with what bearer this job may request its OIDC token."""

    url: str
    bearer: str

    def __repr__(self) -> str:  # never show the bearer
        return f"OidcRequest(url={self.url!r})"


_taken: list[OidcRequest] = []


def take(environ: MutableMapping[str, str] | None = None) -> OidcRequest | None:
    """Move the request variables out of ``environ`` (default os.environ); the last taken.

    Idempotent; a later call with the variables set again (tests) replaces what was taken.
    """
    env = os.environ if environ is None else environ
    url, bearer = env.pop(REQUEST_URL_ENV, None), env.pop(REQUEST_TOKEN_ENV, None)
    if url and bearer:
        redact.register(bearer)
        _taken[:] = [OidcRequest(url, bearer)]
    return _taken[0] if _taken else None


def forget() -> None:
    """Drop what was taken (tests; ``signin.reset_cache``)."""
    _taken.clear()
