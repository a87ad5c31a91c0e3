"""Failed renewals get louder as expiry nears (report/escalation.py), and the report says so."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import jsonschema
import pytest

from renewer.core.models import ActionKind, Outcome, Result
from renewer.plan.planner import plan
from renewer.report.escalation import Severity, classify, classify_expiry
from renewer.report.model import RunReport
from renewer.report.render import render_json, render_markdown
from tests.unit.factories import NOW, spec, stored_for

SCHEMA = Path(__file__).parents[3] / "docs" / "report.schema.json"
DAY = timedelta(days=1)


def dates(lifetime: timedelta, left: timedelta) -> tuple[datetime, datetime]:
    not_after = NOW + left
    return not_after - lifetime, not_after


def test_short_lifetimes_say_the_time_of_day_and_hours() -> None:
    found = classify_expiry(*dates(DAY, timedelta(hours=5, minutes=30)), NOW)
    assert found.words == "at risk: expires in 5 hours (2026-11-28 17:30 UTC)"


@pytest.mark.parametrize(
    ("lifetime", "left", "level", "severity"),
    [
        # 90-day certificates: a third is 30 days, the emergency window 4.5 days
        (90 * DAY, 60 * DAY, "warning", Severity.WARNING),
        (90 * DAY, 20 * DAY, "warning", Severity.WARNING),  # last third but > 14 days
        (90 * DAY, 14 * DAY, "warning", Severity.AT_RISK),
        (90 * DAY, 5 * DAY, "warning", Severity.AT_RISK),
        (90 * DAY, 4 * DAY, "error", Severity.CRITICAL),  # emergency window (4.5 days)
        (90 * DAY, timedelta(hours=1), "error", Severity.CRITICAL),
        (90 * DAY, timedelta(0), "error", Severity.EXPIRED),
        (90 * DAY, -2 * DAY, "error", Severity.EXPIRED),
        # one year: the emergency window (1/20, 18.25 days) starts before the 14 days
        (365 * DAY, 100 * DAY, "warning", Severity.WARNING),
        (365 * DAY, 19 * DAY, "warning", Severity.WARNING),
        (365 * DAY, 18 * DAY, "error", Severity.CRITICAL),
        # 6-day certificates: scaled to the lifetime (a third is 2 days, a tenth 14.4 hours)
        (6 * DAY, 4 * DAY, "warning", Severity.WARNING),
        (6 * DAY, timedelta(days=2, hours=23), "warning", Severity.WARNING),
        (6 * DAY, timedelta(days=1), "warning", Severity.AT_RISK),
        (6 * DAY, timedelta(hours=14), "error", Severity.CRITICAL),
        # step-ca's 24-hour certificates: at risk from 8 hours left, critical under 2.4
        (DAY, timedelta(hours=12), "warning", Severity.WARNING),
        (DAY, timedelta(hours=6), "warning", Severity.AT_RISK),
        (DAY, timedelta(hours=2), "error", Severity.CRITICAL),
        # 30-day certificates: at risk from 10 days left, critical under 3 days
        (30 * DAY, 11 * DAY, "warning", Severity.WARNING),
        (30 * DAY, 9 * DAY, "warning", Severity.AT_RISK),
        (30 * DAY, timedelta(days=3, hours=1), "warning", Severity.AT_RISK),  # window: 3 days
        (30 * DAY, timedelta(days=2), "error", Severity.CRITICAL),
    ],
)
def test_levels_by_time_left(
    lifetime: timedelta, left: timedelta, level: str, severity: Severity
) -> None:
    found = classify_expiry(*dates(lifetime, left), NOW)
    assert (found.level, found.severity) == (level, severity)
    assert found.flagged == (severity is not Severity.WARNING)


def test_words_say_how_long_and_when() -> None:
    at_risk = classify_expiry(*dates(90 * DAY, 10 * DAY), NOW)
    assert at_risk.words == "at risk: expires in 10 days (2026-12-08)"
    critical = classify_expiry(*dates(90 * DAY, 2 * DAY), NOW)
    assert critical.words == "critical: expires in 2 days (2026-11-30)"
    expired = classify_expiry(*dates(90 * DAY, -3 * DAY), NOW)
    assert expired.words == "EXPIRED 3 days ago (2026-11-25)"
    assert classify_expiry(*dates(90 * DAY, 60 * DAY), NOW).words.startswith("expires in 60 days")


def test_only_failures_are_classified_and_no_certificate_stays_an_error() -> None:
    ok = Result("a", ActionKind.RENEW, "due", Outcome.SUCCEEDED)
    assert classify(ok, NOW - DAY, NOW + DAY, NOW) is None
    failed = Result("a", ActionKind.ISSUE, "new certificate", Outcome.FAILED, error="boom")
    first = classify(failed, None, None, NOW)
    assert first is not None and first.level == "error" and first.severity is Severity.NOT_ISSUED


def _report() -> RunReport:
    names = ["fresh", "risky", "urgent", "gone", "new", "fine"]
    specs = [spec(n) for n in names]
    stored = {
        "fresh": stored_for(specs[0], issued=NOW - 10 * DAY),
        "risky": stored_for(specs[1], issued=NOW - 80 * DAY),
        "urgent": stored_for(specs[2], issued=NOW - 88 * DAY),
        "gone": stored_for(specs[3], issued=NOW - 91 * DAY),
        "fine": stored_for(specs[5], issued=NOW - 70 * DAY),
    }
    the_plan = plan(specs, stored, NOW, force=True)
    failed = [
        Result(n, ActionKind.RENEW, "forced", Outcome.FAILED, error="CA unreachable")
        for n in names[:5]
    ]
    ok = Result("fine", ActionKind.RENEW, "forced", Outcome.SUCCEEDED, "0a", NOW + 90 * DAY)
    results = (*failed, ok)
    return RunReport(the_plan, results)


def test_json_severity_is_optional_and_documented() -> None:
    body = json.loads(render_json(_report()))
    jsonschema.validate(body, json.loads(SCHEMA.read_text()))
    severity = {c["name"]: c.get("severity") for c in body["certificates"]}
    assert severity == {
        "fresh": "warning",
        "risky": "at-risk",
        "urgent": "critical",
        "gone": "expired",
        "new": "not-issued",
        "fine": None,
    }


def test_markdown_flags_at_risk_critical_and_expired() -> None:
    text = render_markdown(_report())
    assert "**At risk or worse:** `risky` (at risk), `urgent` (critical), `gone` (EXPIRED)" in text
    rows = {line.split("|")[1].strip(" `"): line for line in text.splitlines() if "| `" in line}
    assert "❌ `CA unreachable` (expires in 80 days" in rows["fresh"]  # a CA's words: code
    assert "❌ **at risk: expires in 10 days" in rows["risky"]
    assert "❌ **critical: expires in 2 days" in rows["urgent"]
    assert "❌ **EXPIRED 1 days ago" in rows["gone"] or "❌ **EXPIRED" in rows["gone"]
    assert rows["new"].count("❌ `CA unreachable` |") == 1
    assert "✅" in rows["fine"]


def test_a_due_certificate_another_tool_owns_is_blocked_and_fails_the_run() -> None:
    """Due means due: a same-name certificate renewer may not touch is blocked, an error
    once inside its renewal window (exit 1), a warning before; never "unchanged"."""
    from dataclasses import replace

    from renewer.execute.executor import Executor
    from renewer.execute.services import Services
    from renewer.report.render import failing, render_text

    web = spec("web")
    for days_left, exits in ((20, True), (60, False)):
        theirs = replace(stored_for(web, issued=NOW - (90 - days_left) * DAY), managed=False)
        the_plan = plan([web], {"web": theirs}, NOW)
        results = Executor(Services()).execute(the_plan)
        assert [r.outcome for r in results] == [Outcome.BLOCKED]
        assert "adopt: true" in str(results[0].error)
        report = RunReport(the_plan, results)
        assert bool(failing(report)) is exits
        body = json.loads(render_json(report))
        assert body["summary"]["blocked"] == 1 and body["summary"]["skipped"] == 0
        assert body["certificates"][0]["action"] == "blocked"
        jsonschema.validate(body, json.loads(SCHEMA.read_text()))
        assert "0 unchanged" in render_text(report) and "1 blocked" in render_text(report)
        if exits:
            assert "due and not renewed" in render_markdown(report)
