"""The Mermaid timeline of due-soon certificates: drawn from renewer's own facts only."""

from __future__ import annotations

from datetime import timedelta

from renewer.core.models import ActionKind, Outcome, Result
from renewer.core.report_json import CertificateEntry
from renewer.plan.planner import plan
from renewer.report.model import RunReport
from renewer.report.render import render_markdown
from renewer.report.timeline import MAX_CERTIFICATES, mermaid
from tests.unit.factories import NOW, spec, stored_for

HOUR = timedelta(hours=1)


def test_a_24_hour_certificate_gets_runs_renewal_and_expiry_on_one_axis() -> None:
    s = spec(name="day")
    current = stored_for(s, issued=NOW - HOUR, lifetime=24 * HOUR)
    far = stored_for(spec(name="far"), issued=NOW - timedelta(days=1))
    the_plan = plan([s, spec(name="far")], {"day": current, "far": far}, NOW)
    text = render_markdown(RunReport(the_plan))
    chart = text.split("```mermaid", 1)[1].split("```", 1)[0]
    assert "section day" in chart and "section far" not in chart  # 90 days: not due soon
    assert "planned renewal :crit, milestone, 2026-11-29 03:00, 0m" in chart  # 16 h in
    assert "next run 1 :milestone, 2026-11-29 00:00, 0m" in chart  # 12 h cadence
    assert "expiry :milestone, 2026-11-29 11:00, 0m" in chart
    assert "next run 2" not in chart  # the second run would come after expiry
    assert "| 2026-11-29 11:00 |" in text  # the expiry column has the time of day


def test_ca_text_never_reaches_the_chart() -> None:
    s = spec(name="day")
    current = stored_for(s, issued=NOW - 20 * HOUR, lifetime=24 * HOUR)
    the_plan = plan([s], {"day": current}, NOW)
    failed = Result("day", ActionKind.RENEW, "r", Outcome.FAILED, error="dns: ```\n%%{init}%% evil")
    text = render_markdown(RunReport(the_plan, (failed,)))
    chart = text.split("```mermaid", 1)[1].split("\n```", 1)[0]
    assert "section day" in chart and "evil" not in chart and "init" not in chart


# The chart builder itself (renewer/report/timeline.py), from report rows.


def row(name: str, action: str, not_after: str, renew_at: str | None = None) -> CertificateEntry:
    return CertificateEntry(
        name=name,
        action=action,
        reason="",
        result=None,
        domains=[],
        serial=None,
        not_after=not_after,
        renew_at=renew_at,
        run_every_seconds=6 * 3600,
        error=None,
        duration_seconds=None,
    )


def test_only_certificates_due_within_48_hours_with_safe_names_are_drawn() -> None:
    rows = [
        row("soon", "renew", "2026-11-29T12:00:00Z"),  # renewed now, expires in 24 h
        row("later", "skip", "2027-02-01T00:00:00Z", renew_at="2027-01-01T00:00:00Z"),
        row("weird name", "renew", "2026-11-29T12:00:00Z"),  # not a config name: never drawn
        row("skip-soon", "skip", "2026-12-05T00:00:00Z", renew_at="2026-11-29T00:00:00Z"),
    ]
    lines = mermaid(rows, NOW)
    sections = [line.strip() for line in lines if line.strip().startswith("section")]
    assert sections == ["section soon", "section skip-soon"]
    assert lines[3] == "```mermaid" and lines[-1] == "</details>"


def test_runs_are_drawn_at_the_cadence_until_expiry_at_most_four() -> None:
    lines = mermaid([row("c", "skip", "2026-12-05T00:00:00Z", "2026-11-29T00:00:00Z")], NOW)
    runs = [line.strip() for line in lines if "next run" in line]
    assert runs == [
        "next run 1 :milestone, 2026-11-28 18:00, 0m",
        "next run 2 :milestone, 2026-11-29 00:00, 0m",
        "next run 3 :milestone, 2026-11-29 06:00, 0m",
        "next run 4 :milestone, 2026-11-29 12:00, 0m",
    ]
    assert "    planned renewal :crit, milestone, 2026-11-29 00:00, 0m" in lines


def test_nothing_due_draws_nothing_and_the_chart_is_capped() -> None:
    assert mermaid([row("far", "skip", "2027-06-01T00:00:00Z")], NOW) == []
    many = [row(f"c{n}", "renew", "2026-11-29T12:00:00Z") for n in range(20)]
    assert sum("section" in line for line in mermaid(many, NOW)) == MAX_CERTIFICATES
