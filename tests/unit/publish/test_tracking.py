"""Which tracking issue a certificates file reports to, and how its marker reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from renewer.publish.tracking import TRACKING_MARKER, combine, scope_of, tracking_marker


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
    from renewer.publish.tracking import Problem

    earlier = {"www": Problem("www", "failed", "CA said no", None, "2026-12-01T00:00:00Z")}
    kept = combine(earlier, {}, reported=["certificates.yaml"], configured=None)
    assert kept == earlier  # names unknown: nothing is dropped
    dropped = combine(earlier, {}, reported=[], configured=["api"])
    assert dropped == {}  # a valid file that no longer names it drops it
