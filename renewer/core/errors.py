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

MAX_LENGTH = 300  # library messages: enough for the class, the request and the cause
MAX_OWN_LENGTH = 2000  # our own messages carry the CA's whole ``detail``: never cut short


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


TAIL_LENGTH = 120


def clip(text: str, limit: int = MAX_LENGTH) -> str:
    """The first ``limit`` characters of ``text`` and, when cut, its last 120 too.

    A library's reason often comes last ("… Max retries exceeded … Connection
    refused"), and the start names what failed: only the middle goes.
    """
    if len(text) <= limit + TAIL_LENGTH + 3:
        return text
    return f"{text[:limit]} … {text[-TAIL_LENGTH:]}"


def describe_error(exc: BaseException) -> str:
    """A single line: our own messages whole, others as 'Class: first line' clipped.

    An ``OSError`` names its file, or says that it names none, so "No space
    left on device" never stands alone.
    """
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    if isinstance(exc, RenewerError) and not exc.show_class:
        return clip(first or exc.__class__.__name__, MAX_OWN_LENGTH)
    if isinstance(exc, OSError) and exc.strerror:
        where = exc.filename if exc.filename is not None else "a file it did not name"
        first = f"{exc.strerror} ({where})"
        if exc.filename2 is not None:
            first = f"{exc.strerror} ({exc.filename} -> {exc.filename2})"
    line = f"{exc.__class__.__name__}: {first}" if first else exc.__class__.__name__
    return clip(line, MAX_LENGTH)
