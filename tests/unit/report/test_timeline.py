"""The Mermaid timeline of due-soon certificates: drawn from renewer's own facts only."""

from __future__ import annotations

from datetime import timedelta

from renewer.core.models import ActionKind, Outcome, Result
from renewer.plan.planner import plan
from renewer.report.model import RunReport
from renewer.report.render import render_markdown
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
