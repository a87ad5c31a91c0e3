"""What a CA failure says, and whether another try may help.

An ``AcmeFailure`` carries its retry facts (``RenewerError.transient`` and
``retry_after``) from where it is raised, so the retry primitive never reads
a message: ``serverInternal`` and ``badNonce`` are transient, ``rateLimited``
only when the CA said when to come back (Let's Encrypt's limits reset in
hours; without a Retry-After the next scheduled run tries again), every
other problem is permanent.
"""

from __future__ import annotations

from acme import messages

from renewer.core.errors import RenewerError
from renewer.core.retry import TRANSIENT_CODES


def problem_text(error: messages.Error) -> str:
    """'rateLimited: too many certificates' from an ACME problem document."""
    code = error.code or (error.typ or "error").rsplit(":", 1)[-1]
    detail = error.detail or error.title or ""
    subs = getattr(error, "subproblems", None) or ()
    extra = "; ".join(
        f"{getattr(s, 'identifier', None) and s.identifier.value}: {s.detail}" for s in subs
    )
    return f"{code}: {detail}" + (f" ({extra})" if extra else "")


def problem_transient(code: str | None, retry_after: float | None) -> bool:
    """Whether an ACME problem of this type may go away on another try in this run."""
    if code == "rateLimited":
        return retry_after is not None
    return code in TRANSIENT_CODES


def problem_retry_after(error: messages.Error) -> float | None:
    """The Retry-After the CA sent with this problem (attached by the network layer)."""
    value = getattr(error, "retry_after", None)
    return float(value) if isinstance(value, int | float) else None


class AcmeFailure(RenewerError):
    """The CA refused or failed; the message is one line a human can act on."""

    def __init__(
        self,
        message: str,
        code: str | None = None,
        *,
        retry_after: float | None = None,
        transient: bool | None = None,
    ) -> None:
        if transient is None:
            transient = problem_transient(code, retry_after)
        super().__init__(message, transient=transient, retry_after=retry_after)
        self.code = code

    @classmethod
    def from_problem(cls, prefix: str, error: messages.Error) -> AcmeFailure:
        """``prefix`` + the problem, with the problem's code and Retry-After."""
        return cls(
            f"{prefix}{problem_text(error)}", error.code, retry_after=problem_retry_after(error)
        )


class CaDown(AcmeFailure):
    """The CA did not answer (hung or unreachable); not asked again in this run."""

    def __init__(self, message: str) -> None:
        super().__init__(message, transient=False)
