"""How times are written for people and for the JSON report: one place, one spelling each.

Every moment renewer handles is timezone-aware UTC; these only format it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def iso(moment: datetime) -> str:
    """ISO 8601 as the JSON report writes it, ``Z`` for UTC (full precision)."""
    return moment.isoformat().replace("+00:00", "Z")


def stamp(moment: datetime) -> str:
    """ISO 8601 in UTC to the second (``2026-12-01T14:05:09Z``): state and record values."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def day(moment: datetime) -> str:
    """The date alone (``2026-12-01``): expiry columns and escalation words."""
    return moment.strftime("%Y-%m-%d")


def minute(moment: datetime) -> str:
    """Date and time to the minute (``2026-12-01 14:05 UTC``): the planner's reasons."""
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def clock(moment: datetime) -> str:
    """The time of day in UTC (``14:05:09 UTC``): "held until" in lock messages."""
    return moment.astimezone(UTC).strftime("%H:%M:%S UTC")


def span(delta: timedelta) -> str:
    """A span in words, in the largest unit that is not 0 or 1: '12 days', '5 hours'.

    Hours below two days and minutes below two hours: a 24-hour or 6-day
    certificate never reads "expires in 0 days" (or "in 1 days").
    """
    seconds = abs(delta.total_seconds())
    if seconds >= 2 * 86400:
        return f"{int(seconds // 86400)} days"
    if seconds >= 2 * 3600:
        return f"{int(seconds // 3600)} hours"
    if seconds >= 120:
        return f"{int(seconds // 60)} minutes"
    return f"{int(seconds)} seconds"
