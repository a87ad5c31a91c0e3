"""The one error base, and one readable line for any failure.

Every error renewer raises on purpose derives from :class:`RenewerError` and
carries its own retry facts: ``transient`` (another try may succeed) and
``retry_after`` (seconds the far side asked us to wait, when it said). The
retry primitive (``renewer.core.retry``) reads only these two attributes, so
no loop has to recognise a failure by the wording of its message.

Our own messages already name the resource and are safe to print. Library
exceptions can be long or carry request bodies, so only their class and first
line are kept.
"""

from __future__ import annotations

from typing import ClassVar

MAX_LENGTH = 300


class RenewerError(Exception):
    """A failure renewer understands: a one-line message plus its retry facts."""

    transient: bool = False
    retry_after: float | None = None
    # Classes that joined this base late keep their old "Class: message" line.
    show_class: ClassVar[bool] = False

    def __init__(
        self,
        message: str = "",
        *,
        transient: bool | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        if transient is not None:
            self.transient = transient
        if retry_after is not None:
            self.retry_after = retry_after


def describe_error(exc: BaseException) -> str:
    """A single line: our own messages verbatim, others as 'Class: first line'."""
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    if isinstance(exc, RenewerError) and not exc.show_class:
        line = first or exc.__class__.__name__
    else:
        line = f"{exc.__class__.__name__}: {first}" if first else exc.__class__.__name__
    return line[:MAX_LENGTH]
