"""What a Key Vault 409 means, and a small retry for the ones that pass.

Key Vault answers 409 ``Conflict`` for different reasons that need different
handling (one reading of "409 = an operation is pending" sent users to a 404
run after run):

- inner error ``ObjectIsDeletedButRecoverable``: the name is soft-deleted
  (Microsoft Learn, "Azure Key Vault soft-delete overview": a soft-deleted
  object's name cannot be reused until it is recovered or purged) ->
  ``SOFT_DELETED``, handled by ``store.on_soft_deleted``;
- "There was a conflict while deleting the pending certificate ... multiple
  operations are performed in parallel" (live runs quoted in
  azure-sdk-for-js#24086 and #36328; azure-sdk-for-go#19568 retries it), "...
  is currently being deleted" / inner ``ObjectIsBeingDeleted``, "... is
  currently being recovered" -> ``TRANSIENT``: the same call succeeds a
  moment later;
- anything else on create or import: a pending operation holds the name ->
  ``PENDING``.

``retry_transient`` retries TRANSIENT 409s with back-off inside the
certificate's deadline (``renewer.core.retry.remaining``). It is deliberately
local and small: when the shared retry primitive lands (core/retry.py), swap
the loop body of ``retry_transient`` for it; callers need not change.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from enum import StrEnum
from typing import TypeVar

from azure.core.exceptions import HttpResponseError

from renewer.core import retry

log = logging.getLogger(__name__)

T = TypeVar("T")

FIRST_PAUSE = 0.5
MAX_PAUSE = 8.0
_TRANSIENT_TEXT = (
    "conflict while deleting the pending",
    "operations are performed in parallel",
    "is currently being deleted",
    "is currently being recovered",
)
_TRANSIENT_INNER = ("ObjectIsBeingDeleted", "ObjectIsBeingRecovered")
SOFT_DELETED_INNER = "ObjectIsDeletedButRecoverable"


class Conflict(StrEnum):
    SOFT_DELETED = "soft-deleted"
    TRANSIENT = "transient"
    PENDING = "pending"


def inner_code(exc: HttpResponseError) -> str:
    """Key Vault's ``error.innererror.code`` ("" when there is none)."""
    error = getattr(exc, "error", None)
    inner = getattr(error, "innererror", None)
    if isinstance(inner, dict):
        return str(inner.get("code") or "")
    return ""


def classify(exc: HttpResponseError) -> Conflict:
    """Which kind of 409 this is (see the module docstring)."""
    inner = inner_code(exc)
    if inner == SOFT_DELETED_INNER:
        return Conflict.SOFT_DELETED
    message = str(getattr(getattr(exc, "error", None), "message", None) or exc.message or "")
    if inner in _TRANSIENT_INNER or any(t in message for t in _TRANSIENT_TEXT):
        return Conflict.TRANSIENT
    return Conflict.PENDING


def pause(attempt: int) -> float:
    return float(min(MAX_PAUSE, FIRST_PAUSE * 2**attempt))


def retry_transient(call: Callable[[], T], what: str) -> T:
    """``call()``, again after each TRANSIENT 409 while the certificate's deadline allows.

    Other errors (and a TRANSIENT 409 whose next pause would not fit the
    deadline) propagate unchanged.
    """
    attempt = 0
    while True:
        try:
            return call()
        except HttpResponseError as exc:
            if exc.status_code != 409 or classify(exc) is not Conflict.TRANSIENT:
                raise
            delay = pause(attempt)
            if delay >= retry.remaining():
                raise
            log.info("%s: transient conflict in the vault; retrying in %.1f s", what, delay)
            threading.Event().wait(delay)
            attempt += 1
