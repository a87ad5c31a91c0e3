"""Human durations ("30d", "12h", "0.5s") for renew_before and DNS propagation.

Config files are written by people, so durations read like they are spoken;
a bare number means seconds because that is what every tool defaults to.
Units are lowercase only: "1M" would be ambiguous (month or minute?), and a
silent minute where a month was meant would renew certificates far too late.
"""

from __future__ import annotations

import math
import re
from datetime import timedelta

UNITS: dict[str, int] = {"w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1}
"""Seconds per unit; the order is the order parts must appear in ("1d12h")."""

_NUMBER = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
_PLAIN = re.compile(_NUMBER)
_PART = re.compile(rf"({_NUMBER})([wdhms])")
_HINT = "expected a duration such as 30d, 12h, 90m, 45s, 0.5s, 1w or a number of seconds"


def parse_duration(text: str | int | float) -> timedelta:
    """Parse "30d", "12h", "90m", "45s", "0.5s", "1w", "1d12h" or plain seconds.

    Raises ValueError (never anything else) so the config loader can turn any
    bad value into a located message.
    """
    if isinstance(text, bool):  # bool is an int subclass; "yes" is not a duration
        raise ValueError(f"{_HINT}, got a boolean")
    if isinstance(text, int | float):
        seconds = float(text) if math.isfinite(text) else math.nan
    elif isinstance(text, str):
        seconds = _parse_text(text.strip())
    else:
        raise ValueError(f"{_HINT}, got {type(text).__name__}")
    if math.isnan(seconds) or math.isinf(seconds):
        raise ValueError(f"{_HINT}, got a value that is not finite")
    if seconds < 0:
        raise ValueError("a duration must not be negative")
    try:
        return timedelta(seconds=seconds)
    except OverflowError:
        raise ValueError("duration is too large") from None


def parse_positive_duration(text: str | int | float) -> timedelta:
    """Like parse_duration, but zero is refused: no timeout or margin can be empty."""
    result = parse_duration(text)
    if not result:
        raise ValueError("must be longer than zero")
    return result


def _parse_text(text: str) -> float:
    """Seconds in a textual duration; parts must be in w, d, h, m, s order, each once."""
    if _PLAIN.fullmatch(text):
        return float(text)
    total = 0.0
    position = 0
    last_rank = -1
    ranks = list(UNITS)
    for match in _PART.finditer(text):
        rank = ranks.index(match.group(2))
        if match.start() != position or rank <= last_rank:
            break
        total += float(match.group(1)) * UNITS[match.group(2)]
        position = match.end()
        last_rank = rank
    if position == 0 or position != len(text):
        shown = text if len(text) <= 40 else text[:37] + "..."
        raise ValueError(f"{_HINT}, got {shown!r}")
    return total
