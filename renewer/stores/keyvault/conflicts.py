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

``retry_transient`` retries TRANSIENT 409s with back-off through the shared
primitive (``renewer.core.retry.attempt_until``) inside ``budget()``. The
store contract carries no deadline, so a store call bounds its own waits by
the same default a certificate gets (``retry.DEFAULT_DEADLINE``); the
executor's own deadline still ends the certificate's order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import StrEnum
from typing import TypeVar

from azure.core.exceptions import HttpResponseError

from renewer.core import retry

log = logging.getLogger(__name__)

T = TypeVar("T")

FIRST_PAUSE = 0.5
MAX_PAUSE = 8.0
BUDGET = retry.DEFAULT_DEADLINE
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


def budget() -> retry.Deadline:
    """How long one store call may keep waiting on the vault (transient 409s, a recovery)."""
    return retry.Deadline.after(BUDGET)


def _transient(error: BaseException) -> bool:
    return (
        isinstance(error, HttpResponseError)
        and error.status_code == 409
        and classify(error) is Conflict.TRANSIENT
    )


def retry_transient(call: Callable[[], T], what: str) -> T:
    """``call()``, again after each TRANSIENT 409 while ``budget()`` allows.

    Other errors (and a TRANSIENT 409 whose next pause would not fit the
    budget) propagate unchanged.
    """
    return retry.attempt_until(
        call,
        policy=retry.Policy(first=FIRST_PAUSE, factor=2.0, cap=MAX_PAUSE),
        deadline=budget(),
        retry_on=_transient,
        on_retry=lambda _error, delay: log.info(
            "%s: transient conflict in the vault; retrying in %.1f s", what, delay
        ),
    )
