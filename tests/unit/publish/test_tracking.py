"""Which tracking issue a certificates file reports to, and how its marker reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import pytest

from renewer.core import timefmt
from renewer.core.report_json import ReportBody
from renewer.publish.tracking import (
    TRACKING_MARKER,
    Problem,
    combine,
    find_problems,
    scope_of,
    tracking_marker,
)


@pytest.mark.parametrize(
    ("path", "scope"),
    [
        ("certificates.yaml", ""),
        ("infra/certificates.yaml", ""),
        ("certs.yaml", ""),  # a single file of another name keeps the issue earlier runs opened
        ("certificates.staging.yaml", "certificates.staging.yaml"),
        ("deploy/prod.staging.yml", "prod.staging.yml"),
    ],
)
def test_only_a_staging_file_keeps_an_issue_of_its_own(path: str, scope: str) -> None:
    assert scope_of(Path(path)) == scope


def test_the_unscoped_marker_is_the_one_earlier_runs_wrote() -> None:
    assert tracking_marker("") == TRACKING_MARKER == "<!-- renewer-tracking -->"
    staging = tracking_marker("certificates.staging.yaml")
    assert staging == "<!-- renewer-tracking: certificates.staging.yaml -->"
    assert TRACKING_MARKER not in staging  # found by the exact marker, never as a substring


def test_an_invalid_file_keeps_every_earlier_problem() -> None:
    earlier = {"www": Problem("www", "failed", "CA said no", None, "2026-12-01T00:00:00Z")}
    kept = combine(earlier, {}, reported=["certificates.yaml"], configured=None)
    assert kept == earlier  # names unknown: nothing is dropped
    dropped = combine(earlier, {}, reported=[], configured=["api"])
    assert dropped == {}  # a valid file that no longer names it drops it


NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def _row(hours_left: float, renew_in_hours: float | None) -> dict[str, object]:
    """A skipped certificate expiring in ``hours_left``, renewed by plan in ``renew_in_hours``."""
    renew_at = None if renew_in_hours is None else NOW + timedelta(hours=renew_in_hours)
    return {
        "name": "short",
        "action": "skip",
        "result": "skipped",
        "not_after": timefmt.stamp(NOW + timedelta(hours=hours_left)),
        "renew_at": timefmt.stamp(renew_at) if renew_at else None,
        "error": None,
    }


def _problems(*rows: dict[str, object]) -> dict[str, Problem]:
    return find_problems(cast(ReportBody, {"certificates": list(rows)}), NOW)


def test_a_short_lived_certificate_on_schedule_is_no_problem() -> None:
    """A 6-day certificate always expires "within 7 days": it is listed only once its
    planned renewal time has passed (or is unknown, or falls after its expiry)."""
    assert _problems(_row(hours_left=100, renew_in_hours=40)) == {}
    assert _problems(_row(hours_left=100, renew_in_hours=-2))["short"].kind == "expiring"
    assert _problems(_row(hours_left=100, renew_in_hours=None))["short"].kind == "expiring"
    assert _problems(_row(hours_left=10, renew_in_hours=20))["short"].kind == "expiring"
