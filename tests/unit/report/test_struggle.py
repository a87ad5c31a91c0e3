"""The report says the CA struggled: words, the JSON entry, Markdown with the CA's text inert."""

from __future__ import annotations

from datetime import timedelta

from renewer.core.models import ActionKind, Outcome, Result
from renewer.execute.struggle import Struggle
from renewer.plan.planner import plan
from renewer.report.model import RunReport
from renewer.report.render import as_body, markdown_from_body
from renewer.report.struggle import words
from tests.unit.factories import NOW, spec


def test_words_count_each_problem_and_say_nothing_when_none() -> None:
    assert words({"serverInternal": 2}) == "the CA answered serverInternal 2 times; retried"
    assert words({"rateLimited": 1, "serverInternal": 3}) == (
        "the CA answered rateLimited 1 time and serverInternal 3 times; retried"
    )
    assert words({}) == ""


def test_the_counter_sorts_by_code() -> None:
    struggle = Struggle()
    for code in ("serverInternal", "rateLimited", "serverInternal"):
        struggle.note(code)
    assert struggle.counts() == (("rateLimited", 1), ("serverInternal", 2))
    assert Struggle().counts() == ()


def _report(retried: tuple[tuple[str, int], ...]) -> RunReport:
    a, b = spec("a", domains=("a.test",)), spec("b", domains=("b.test",))
    made = plan([a, b], {}, NOW)
    results = tuple(
        Result(
            name=name,
            action=ActionKind.ISSUE,
            reason="new certificate",
            outcome=Outcome.SUCCEEDED,
            serial="01",
            not_after=NOW + timedelta(days=90),
            ca_retried=retried if name == "a" else (),
        )
        for name in ("a", "b")
    )
    return RunReport(plan=made, results=results)


def test_the_json_entry_carries_the_counts_only_where_the_ca_struggled() -> None:
    body = as_body(_report((("serverInternal", 2),)))
    rows = {row["name"]: row for row in body["certificates"]}
    assert rows["a"]["ca_retried"] == {"serverInternal": 2}
    assert "ca_retried" not in rows["b"]
    assert "struggled" not in markdown_from_body(as_body(_report(())))


def test_markdown_keeps_what_came_from_the_ca_inert() -> None:
    # A report read back from a file (report merge, publish) may hold any text here.
    body = as_body(_report((("**x**|<img src=y>", 1),)))
    markdown = markdown_from_body(body)
    # In a code span nothing is markup; in a table cell the pipe is escaped as well.
    assert "⚠️ **The CA struggled:** it answered `**x**|<img src=y>` 1 time" in markdown
    (row,) = [line for line in markdown.splitlines() if line.startswith("| `a` |")]
    assert "the CA answered `**x**\\|<img src=y>` 1 time; retried" in row
    assert row.count(" | ") == 4  # the pipe did not open a new column
