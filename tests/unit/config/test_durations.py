"""config.durations: human durations in config files, refused with a hint when unclear."""

from __future__ import annotations

from datetime import timedelta

import pytest

from renewer.config.durations import parse_duration, parse_positive_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30d", timedelta(days=30)),
        ("12h", timedelta(hours=12)),
        ("90m", timedelta(minutes=90)),
        ("0.5s", timedelta(seconds=0.5)),
        ("1w", timedelta(weeks=1)),
        ("1d12h", timedelta(days=1, hours=12)),
        ("1w2d3h4m5s", timedelta(weeks=1, days=2, hours=3, minutes=4, seconds=5)),
        (" 45s ", timedelta(seconds=45)),
        ("120", timedelta(seconds=120)),
        (".5", timedelta(seconds=0.5)),
        (90, timedelta(seconds=90)),
        (1.5, timedelta(seconds=1.5)),
        (0, timedelta(0)),
    ],
)
def test_spoken_durations_and_bare_seconds(text: str | float, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("1M", "expected a duration"),  # month or minute? refused, not guessed
        ("12h1d", "expected a duration"),  # parts out of order
        ("1h1h", "expected a duration"),  # a unit twice
        ("1d 12h", "expected a duration"),
        ("", "expected a duration"),
        ("d", "expected a duration"),
        ("-5s", "expected a duration"),
        (-5, "must not be negative"),
        (True, "boolean"),
        (float("inf"), "not finite"),
        (float("nan"), "not finite"),
        (1e300, "too large"),
        ([1], "got list"),
    ],
)
def test_what_is_not_a_duration_raises_value_error_only(text: object, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_duration(text)  # type: ignore[arg-type]


def test_a_long_bad_value_is_shortened_in_the_message() -> None:
    with pytest.raises(ValueError) as caught:
        parse_duration("x" * 200)
    assert "..." in str(caught.value) and "x" * 41 not in str(caught.value)


def test_a_positive_duration_refuses_zero() -> None:
    assert parse_positive_duration("1s") == timedelta(seconds=1)
    with pytest.raises(ValueError, match="longer than zero"):
        parse_positive_duration("0s")
