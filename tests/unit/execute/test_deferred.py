"""The new-order cap defers, it does not fail: ``deferred`` results, exit 0 unless urgent.

Also: blocked and deferred certificates reach the tracking issue and survive a
shard merge with their own counts.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest

from renewer.config.types.store_directory import DirectorySettings
from renewer.core.models import ActionKind, Outcome
from renewer.core.settings import StoreSettings
from renewer.execute.executor import Executor
from renewer.execute.services import Services
from renewer.plan.planner import plan as make_plan
from renewer.publish.tracking import find_problems, issue_body
from renewer.report import merge
from renewer.report.model import RunReport
from renewer.report.render import as_body, failing, render_markdown, render_text
from renewer.stores.directory import DirectoryStore
from tests.unit.factories import spec
from tests.unit.local_ca import LocalCA

DAY = timedelta(days=1)
SCHEMA = Path(__file__).parents[3] / "docs" / "report.schema.json"


def capped_run(tmp_path: Path, lefts: dict[str, timedelta | None]) -> RunReport:
    """Every certificate due (forced), a cap of 0 new orders: all deferred, no CA contact."""
    specs, stored = [], {}
    store = DirectoryStore(DirectorySettings(tmp_path))
    for name, left in lefts.items():
        s = replace(
            spec(name=name, domains=(f"{name}.example.test",), directory="https://127.0.0.1:9/d"),
            store=StoreSettings("directory", DirectorySettings(tmp_path)),
        )
        specs.append(s)
        if left is not None:
            issued = datetime.now(UTC) + left - 90 * DAY
            stored[name] = store.issue(s, lambda c, at=issued: LocalCA().finalize(c, issued_at=at))
    the_plan = make_plan(specs, stored, datetime.now(UTC), {}, force=True)
    with Services() as services:
        results = Executor(services, max_new_orders=0).execute(the_plan)
    return RunReport(plan=the_plan, results=results)


@pytest.mark.parametrize(
    ("left", "fails", "severity"),
    [
        (60 * DAY, False, "warning"),
        (10 * DAY, False, "at-risk"),
        (None, False, "not-issued"),  # a first issuance waits for the next run
        (2 * DAY, True, "critical"),
        (-DAY, True, "expired"),
    ],
)
def test_deferred_by_class(
    tmp_path: Path, left: timedelta | None, fails: bool, severity: str
) -> None:
    the_report = capped_run(tmp_path, {"a": left})
    (result,) = the_report.results
    assert result.outcome is Outcome.DEFERRED
    assert result.action is (ActionKind.ISSUE if left is None else ActionKind.RENEW)
    assert result.error == "new-order cap of 0 per run reached; left for the next run"
    assert bool(failing(the_report)) is fails
    body = as_body(the_report)
    jsonschema.validate(body, json.loads(SCHEMA.read_text()))
    assert body["certificates"][0]["severity"] == severity
    assert body["summary"]["deferred"] == 1 and body["summary"]["failed"] == 0
    text = render_text(the_report)
    assert text.startswith("deferred a: new-order cap of 0")
    assert text.rstrip().endswith("0 failed, 0 unchanged, 0 planned, 1 deferred.")
    assert "FAILED" not in text
    markdown = render_markdown(the_report)
    assert "**1** deferred" in markdown and "⏸️" in markdown and "❌" not in markdown
    problems = find_problems(body, datetime.now(UTC))
    assert ("a" in problems) is fails  # only an urgent deferral opens the tracking issue
    if fails:
        assert problems["a"].kind == "deferred"


def test_blocked_and_deferred_survive_a_merge_and_reach_the_tracking_issue(
    tmp_path: Path,
) -> None:
    first = as_body(capped_run(tmp_path / "one", {"x": 60 * DAY, "y": -DAY}))
    second = dict(first)
    second["certificates"] = [
        {
            **first["certificates"][0],
            "name": "z",
            "result": "blocked",
            "error": "z is being renewed by another run (held by pid 7 on host h)",
        }
    ]
    second["summary"] = {**first["summary"], "deferred": 0, "blocked": 1, "total": 1}
    merged = merge.merge_reports([first, second])
    assert merged["summary"]["deferred"] == 2 and merged["summary"]["blocked"] == 1
    markdown = merge.render_markdown(merged)
    assert "**1** blocked · **2** deferred" in markdown
    problems = find_problems(merged, datetime.now(UTC))
    assert sorted(problems) == ["y", "z"]
    assert problems["z"].kind == "blocked" and "pid 7 on host h" in problems["z"].detail
    assert problems["y"].detail.startswith("EXPIRED")
    body = issue_body(problems, None, "now")
    assert "🔒 blocked" in body and "⏸️ deferred" in body
