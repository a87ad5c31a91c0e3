"""Renewal windows remembered between runs, and when the CA may be asked again.

RFC 9773 (section 4.3) has a client fetch a certificate's RenewalInfo right
after issuance and then again once the response's Retry-After has passed,
treating values under a minute as a minute and over a day as a day; a missing
or unreadable Retry-After is a long-term error, after which the client waits
six hours. A scheduled job has no memory of its own, so the window travels
with the certificate: one short string in a Key Vault tag (15 tags of at most
256 characters per certificate) or in the directory store's metadata. Until
``next_check`` a remembered window stands for the CA's answer, which is what
lets a no-op run over thousands of certificates list the store and stop.

The string is ``ari1 <start> <end> <checked> <next_check>`` in compact UTC
(``20261201T162400Z``); anything else reads as "nothing remembered", never
as an error: the cost of a bad value is one question to the CA.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from renewer.core.models import RenewalInfo

MIN_RECHECK = timedelta(minutes=1)
MAX_RECHECK = timedelta(days=1)
DEFAULT_RECHECK = timedelta(hours=6)  # RFC 9773: after a missing or invalid Retry-After
PREFIX = "ari1"
_STAMP = "%Y%m%dT%H%M%SZ"


def next_check(checked: datetime, retry_after: float | None) -> datetime:
    """When the CA may be asked again: Retry-After clamped to [1 minute, 1 day]."""
    if retry_after is None:
        return checked + DEFAULT_RECHECK
    wait = timedelta(seconds=retry_after)
    return checked + min(max(wait, MIN_RECHECK), MAX_RECHECK)


def fresh(info: RenewalInfo, now: datetime) -> bool:
    """True while a remembered window may stand in for asking the CA.

    A ``next_check`` more than a day ahead cannot come from a clamped
    Retry-After (a runner with a fast clock wrote it): it is not trusted.
    """
    if info.next_check is None:
        return False
    return now < info.next_check <= now + MAX_RECHECK


def worth_writing(remembered: RenewalInfo | None, asked: RenewalInfo) -> bool:
    """Whether a window just asked should replace what the store remembers.

    Writing costs the store a request or two per certificate, and pays off
    only if a later run comes before the new ``next_check``. So: always when
    nothing (or another window) is remembered; for the same window only when
    the last check is more recent than one Retry-After span, i.e. when runs
    come that often. A daily schedule against a six-hour Retry-After asks the
    CA every run as RFC 9773 intends, without rewriting every tag every run.
    """
    if remembered is None or (remembered.start, remembered.end) != (asked.start, asked.end):
        return True
    if remembered.checked is None or asked.checked is None or asked.next_check is None:
        return True
    return asked.checked - remembered.checked <= asked.next_check - asked.checked


def encode(info: RenewalInfo) -> str | None:
    """The one-line form (about 70 characters); None without check times."""
    if info.checked is None or info.next_check is None:
        return None
    stamps = (info.start, info.end, info.checked, info.next_check)
    return " ".join([PREFIX, *(t.astimezone(UTC).strftime(_STAMP) for t in stamps)])


def decode(text: object) -> RenewalInfo | None:
    """The window from ``encode``'s form; None for anything else (an empty window too)."""
    if not isinstance(text, str):
        return None
    parts = text.split()
    if len(parts) != 5 or parts[0] != PREFIX:
        return None
    try:
        start, end, checked, later = (_stamp(p) for p in parts[1:])
    except ValueError:
        return None
    if end <= start:  # RFC 9773: such a window is invalid, as if there were no answer
        return None
    return RenewalInfo(start=start, end=end, checked=checked, next_check=later)


def _stamp(text: str) -> datetime:
    """``20261201T162400Z`` read by slicing: a no-op plan of 5,000 reads 20,000 of
    these, and ``strptime`` would cost most of a second of it."""
    if len(text) != 16 or not text.isascii() or text[8] != "T" or text[15] != "Z":
        raise ValueError(text)
    if not text[:8].isdigit():
        raise ValueError(text)
    digits = text[9:15]
    if not digits.isdigit():
        raise ValueError(text)
    return datetime(
        int(text[0:4]),
        int(text[4:6]),
        int(text[6:8]),
        int(digits[0:2]),
        int(digits[2:4]),
        int(digits[4:6]),
        tzinfo=UTC,
    )
