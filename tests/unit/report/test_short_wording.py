"""Short lifetimes read in hours and minutes: never "expires in 0 days" or "0 hours"."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from renewer.core import timefmt
from renewer.core.models import ActionKind, Orphan, Outcome, Result
from renewer.publish.tracking import find_problems
from renewer.report.render import orphan_lines, progress_line
from tests.unit.factories import NOW


def test_a_span_is_said_in_the_largest_unit_that_is_not_0_or_1() -> None:
    assert timefmt.span(timedelta(days=12, hours=5)) == "12 days"
    assert timefmt.span(timedelta(hours=47)) == "47 hours"
    assert timefmt.span(timedelta(hours=1, minutes=59)) == "119 minutes"
    assert timefmt.span(timedelta(seconds=-90)) == "90 seconds"


def test_the_tracking_issue_says_minutes_for_a_certificate_about_to_expire() -> None:
    row: dict[str, Any] = {
        "name": "day",
        "action": "skip",
        "reason": "",
        "result": "skipped",
        "not_after": timefmt.iso(NOW + timedelta(minutes=40)),
    }
    body: Any = {"certificates": [row]}
    (problem,) = find_problems(body, NOW).values()
    assert problem.detail == "expires in 40 minutes"  # was "expires in 0 hours"


def test_an_orphan_hours_from_expiry_says_the_hours_and_the_time_of_day() -> None:
    orphan = Orphan("gone", NOW + timedelta(hours=5))
    (line,) = orphan_lines([orphan], NOW)
    assert f"expires {timefmt.minute(orphan.not_after)}, in 5 hours, and nothing" in line
    (past,) = orphan_lines([Orphan("gone", NOW - timedelta(hours=3))], NOW)
    assert ", 3 hours ago, and nothing renews it" in past  # was "in 0 days"


def test_the_console_line_of_a_renewal_gives_the_time_of_day() -> None:
    result = Result("day", ActionKind.RENEW, "", Outcome.SUCCEEDED, "ab", NOW + timedelta(hours=24))
    assert f"valid until {timefmt.minute(NOW + timedelta(hours=24))}" in progress_line(result)
