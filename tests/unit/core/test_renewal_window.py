"""Remembered renewal windows: RFC 9773's re-check clamp and the one-line form stores keep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from renewer.core import renewal_window
from renewer.core.models import RenewalInfo

NOW = datetime(2026, 12, 1, 16, 24, tzinfo=UTC)


@pytest.mark.parametrize(
    ("retry_after", "wait"),
    [
        (None, timedelta(hours=6)),  # missing or unreadable: six hours
        (0.0, timedelta(minutes=1)),  # under a minute counts as a minute
        (21600.0, timedelta(hours=6)),  # Let's Encrypt's and Pebble's
        (3 * 86400.0, timedelta(days=1)),  # over a day counts as a day
    ],
)
def test_next_check_follows_retry_after_within_a_minute_and_a_day(
    retry_after: float | None, wait: timedelta
) -> None:
    assert renewal_window.next_check(NOW, retry_after) == NOW + wait


def window(**changes: datetime | None) -> RenewalInfo:
    base: dict[str, datetime | None] = {
        "start": NOW + timedelta(days=20),
        "end": NOW + timedelta(days=22),
        "checked": NOW,
        "next_check": NOW + timedelta(hours=6),
    }
    base.update(changes)
    start, end = base["start"], base["end"]
    assert start is not None and end is not None
    return RenewalInfo(start=start, end=end, checked=base["checked"], next_check=base["next_check"])


def test_round_trip_fits_a_key_vault_tag() -> None:
    info = window()
    text = renewal_window.encode(info)
    assert text is not None and len(text) <= 256 and text.startswith("ari1 ")
    assert renewal_window.decode(text) == info


def test_a_window_without_check_times_is_not_written() -> None:
    assert renewal_window.encode(window(checked=None)) is None
    assert renewal_window.encode(window(next_check=None)) is None


@pytest.mark.parametrize(
    "text",
    [
        None,
        42,
        "",
        "ari1",
        "ari2 20261221T162400Z 20261223T162400Z 20261201T162400Z 20261201T222400Z",
        "ari1 20261221T162400Z 20261223T162400Z 20261201T162400Z",
        "ari1 2026-12-21 20261223T162400Z 20261201T162400Z 20261201T222400Z",
        "ari1 20261321T162400Z 20261223T162400Z 20261201T162400Z 20261201T222400Z",
        "ari1 \uff120261221T162400Z 20261223T162400Z 20261201T162400Z 20261201T222400Z",
        # RFC 9773: end at or before start is invalid, as if no answer came
        "ari1 20261223T162400Z 20261221T162400Z 20261201T162400Z 20261201T222400Z",
        "ari1 20261221T162400Z 20261221T162400Z 20261201T162400Z 20261201T222400Z",
    ],
)
def test_anything_else_reads_as_nothing_remembered(text: object) -> None:
    assert renewal_window.decode(text) is None


@given(st.text(max_size=120))
def test_decode_never_raises(text: str) -> None:
    renewal_window.decode(text)


def test_fresh_until_next_check_and_never_more_than_a_day_ahead() -> None:
    info = window()
    assert renewal_window.fresh(info, NOW)
    assert renewal_window.fresh(info, NOW + timedelta(hours=5, minutes=59))
    assert not renewal_window.fresh(info, NOW + timedelta(hours=6))
    assert not renewal_window.fresh(window(next_check=None), NOW)
    # A next check a week ahead cannot come from a clamped Retry-After: a fast clock wrote it.
    assert not renewal_window.fresh(window(next_check=NOW + timedelta(days=7)), NOW)
    assert renewal_window.fresh(window(next_check=NOW + timedelta(days=1)), NOW)


def test_worth_writing_when_new_changed_or_runs_come_that_often() -> None:
    asked = window(checked=NOW, next_check=NOW + timedelta(hours=6))
    assert renewal_window.worth_writing(None, asked)  # nothing remembered
    moved = window(start=NOW + timedelta(days=2), checked=NOW - timedelta(days=1))
    assert renewal_window.worth_writing(moved, asked)  # the CA moved the window
    hourly = window(checked=NOW - timedelta(hours=1), next_check=NOW + timedelta(hours=5))
    assert renewal_window.worth_writing(hourly, asked)  # the next run comes before next_check
    daily = window(checked=NOW - timedelta(days=1), next_check=NOW - timedelta(hours=18))
    assert not renewal_window.worth_writing(daily, asked)  # same window, runs a day apart
