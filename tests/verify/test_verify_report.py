"""The verify section in run reports: shard merge, schema, Markdown (no servers)."""

from __future__ import annotations

from datetime import UTC, datetime

from click.testing import CliRunner

from renewer.cli import main
from renewer.core.endpoints import EndpointSpec
from renewer.core.models import Plan
from renewer.report import merge
from renewer.report import render as report
from renewer.report.model import RunReport
from renewer.verify import render
from renewer.verify.model import Finding, Verdict, VerifyReport
from tests.verify.schemas import schema_validator

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def shard_body(name: str, verdict: Verdict, message: str) -> dict[str, object]:
    body = report.as_body(RunReport(plan=Plan(generated_at=NOW, actions=())))
    finding = Finding(name, EndpointSpec("10.0.0.4", 443, "www.example.test"), "10.0.0.4",
                      verdict, message)  # fmt: skip
    body["verify"] = render.as_body(VerifyReport(NOW, (finding,)))
    return body


def test_shard_reports_merge_their_verify_sections(tmp_path: object) -> None:
    first = shard_body("a", Verdict.UNREACHABLE, "unreachable: connection refused")
    second = shard_body("b", Verdict.CURRENT, "current (serial 1)")
    merged = merge.merge_reports([first, second])
    validator = schema_validator("report.schema.json")
    for body in (first, second, merged):
        validator.validate(body)
    section = merged["verify"]
    assert [row["certificate"] for row in section["endpoints"]] == ["a", "b"]
    assert section["summary"]["total"] == 2 and section["summary"]["unreachable"] == 1
    assert section["summary"]["failed"] == 1


def test_report_merge_writes_the_verify_table_into_the_summary(tmp_path: object) -> None:
    import json
    from pathlib import Path

    folder = Path(str(tmp_path))
    (folder / "r1.json").write_text(json.dumps(shard_body("a", Verdict.STALE, "STALE: x")))
    summary = folder / "summary.md"
    result = CliRunner().invoke(
        main,
        ["report", "merge", str(folder), "-o", str(folder / "m.json"), "--summary", str(summary)],
    )
    assert result.exit_code == 0, result.output
    text = summary.read_text()
    assert "#### renewer verify" in text
    assert "| `a` | 10.0.0.4:443 SNI www.example.test | ❌ STALE | `STALE: x` |" in text


def test_a_stale_endpoint_is_a_tracking_issue_problem() -> None:
    from renewer.publish import tracking

    body = shard_body("www", Verdict.STALE, "STALE: serves serial 1f (expires in 9 days)")
    body["verify"]["endpoints"].append(dict(body["verify"]["endpoints"][0], address="10.0.0.5"))
    body["certificates"] = [{"name": "www", "result": "skipped", "not_after": None}]
    problems = tracking.find_problems(body, NOW)
    (problem,) = problems.values()
    assert problem.kind == "stale"
    assert problem.detail == (
        "10.0.0.4:443 [10.0.0.4]: STALE: serves serial 1f (expires in 9 days)"
        " (and 1 more endpoints)"
    )
    text = tracking.issue_body(problems, None, "2026-12-01T12:00:00Z")
    assert "| `www` | 🔁 stale endpoint: `10.0.0.4:443 [10.0.0.4]: STALE" in text
    within = shard_body("www", Verdict.WITHIN_GRACE, "previous version")
    assert tracking.find_problems(within, NOW) == {}
