"""Renderers agree with the data: JSON schema, Markdown table, text lines."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import jsonschema

from renewer.core.models import ActionKind, Outcome, Result
from renewer.plan.planner import plan
from renewer.report.model import RunReport
from renewer.report.render import render_json, render_markdown, render_plan_text, render_text
from tests.unit.factories import NOW, spec, stored_for

SCHEMA = Path(__file__).parents[3] / "docs" / "report.schema.json"


def _report(executed: bool = True) -> RunReport:
    a, b, c = spec("a"), spec("b"), spec("c|pipe".replace("|", "-"))
    the_plan = plan([a, b, c], {"b": stored_for(b)}, NOW)
    if not executed:
        return RunReport(the_plan)
    results = (
        Result(
            "a",
            ActionKind.ISSUE,
            "new certificate",
            Outcome.SUCCEEDED,
            "0a1b",
            NOW + timedelta(days=90),
            None,
            2.5,
        ),
        Result("b", ActionKind.SKIP, the_plan.actions[1].reason, Outcome.SKIPPED),
        Result(
            "c-pipe",
            ActionKind.ISSUE,
            "new certificate",
            Outcome.FAILED,
            error="dns-01 for c.test failed: incorrect TXT | record",
        ),
    )
    return RunReport(the_plan, results)


def test_json_matches_documented_schema_and_facts() -> None:
    body = json.loads(render_json(_report()))
    jsonschema.validate(body, json.loads(SCHEMA.read_text()))
    by_name = {c["name"]: c for c in body["certificates"]}
    assert by_name["a"]["result"] == "succeeded" and by_name["a"]["serial"] == "0a1b"
    assert by_name["c-pipe"]["error"].startswith("dns-01 for c.test failed")
    assert by_name["b"]["action"] == "skip" and by_name["b"]["renew_at"]
    assert body["summary"]["failed"] == 1 and body["summary"]["issue"] == 2


def test_plan_json_has_no_results_and_validates() -> None:
    body = json.loads(render_json(_report(executed=False)))
    jsonschema.validate(body, json.loads(SCHEMA.read_text()))
    assert body["executed"] is False
    assert all(c["result"] is None for c in body["certificates"])


def test_markdown_escapes_pipes_and_flags_failures() -> None:
    text = render_markdown(_report())
    assert "incorrect TXT \\| record" in text
    assert "❌" in text and "✅" in text
    assert text.count("\n| `") == 3


def test_text_plan_and_run_lines() -> None:
    plan_text = render_plan_text(_report(executed=False).plan)
    assert "+ issue  a       new certificate" in plan_text
    assert plan_text.rstrip().endswith("Plan: 2 to issue, 0 to renew, 1 unchanged.")
    run_text = render_text(_report())
    assert "FAILED  c-pipe: dns-01" in run_text
    assert run_text.rstrip().endswith("Done: 1 succeeded, 1 failed, 1 unchanged, 0 planned.")


def test_orphaned_certificates_are_reported_and_warned_as_expiry_nears() -> None:
    a = spec("a")
    soon = stored_for(spec("soon-gone"), issued=NOW - timedelta(days=80))  # 10 days left
    later = stored_for(spec("later-gone"), issued=NOW - timedelta(days=10))  # 80 days left
    the_plan = plan([a], {"soon-gone": soon, "later-gone": later}, NOW)
    report = RunReport(the_plan)
    body = json.loads(render_json(report))
    jsonschema.validate(body, json.loads(SCHEMA.read_text()))
    assert [o["name"] for o in body["orphaned"]] == ["later-gone", "soon-gone"]
    text = render_plan_text(the_plan)
    assert (
        "  warning: orphaned soon-gone: issued by renewer, no longer in certificates.yaml, "
        f"never touched; expires {soon.not_after:%Y-%m-%d}, in 10 days, and nothing renews it"
    ) in text
    assert "  orphaned later-gone: issued by renewer, no longer in certificates.yaml, never " in (
        text
    )
    assert "warning: orphaned later-gone" not in text
    markdown = render_markdown(report)
    assert "- ⚠️ orphaned `soon-gone`: issued by renewer" in markdown
    assert "- orphaned `later-gone`: issued by renewer" in markdown
