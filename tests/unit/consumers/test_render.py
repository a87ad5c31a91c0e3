"""consumers.render: the nudges table in the report, Azure's words escaped, failures first."""

from __future__ import annotations

from renewer.consumers.render import as_body, markdown_from_body, summary_line, text_lines
from renewer.consumers.run import FAILED, NUDGED, OFF, WAITING, NudgeResult

RESULTS = [
    NudgeResult("web", "application-gateway", "agw-1", NUDGED, "tag changed", 1.5),
    NudgeResult("web", "front-door", "", WAITING, "picks it up within 4 days"),
    NudgeResult("api", "app-service", "portal", FAILED, "Conflict | <b>x</b>\nsecond line"),
    NudgeResult("api", "vm-extension", "vm1", OFF, "nudge: false"),
]


def test_the_json_form_keeps_every_field() -> None:
    body = as_body(RESULTS[:1])
    assert body == [
        {
            "certificate": "web",
            "kind": "application-gateway",
            "resource": "agw-1",
            "outcome": "nudged",
            "detail": "tag changed",
            "duration_seconds": 1.5,
        }
    ]


def test_the_summary_counts_outcomes_present() -> None:
    assert summary_line(as_body(RESULTS)) == "consumers: 1 nudged, 1 failed, 1 waiting, 1 off"
    assert summary_line([]) == "consumers: none"


def test_failed_nudges_come_first_and_azure_text_cannot_break_the_table() -> None:
    text = markdown_from_body(as_body(RESULTS), heading="###")
    lines = text.splitlines()
    assert lines[0] == "### renewer nudges"
    rows = [line for line in lines if line.startswith("| `")]
    assert rows[0] == (
        "| `api` | app-service portal | ⚠️ nudge failed "
        "| Conflict \\| &lt;b&gt;x&lt;/b&gt; second line |"
    )
    assert [r.split("|")[3].strip() for r in rows[1:]] == ["✅ nudged", "🕒 waits", "⏸️ off"]
    assert "| `web` | front-door | 🕒 waits |" in text  # short form: no resource name
    assert all(line.count("|") - line.count("\\|") == 5 for line in rows)


def test_an_unknown_outcome_read_back_is_escaped_too() -> None:
    text = markdown_from_body([{"certificate": "x`y", "outcome": "<img>", "kind": "other"}])
    assert "| `x'y` |" in text and "&lt;img&gt;" in text


def test_terminal_lines_name_outcome_certificate_consumer_and_detail() -> None:
    assert text_lines(RESULTS[:2]) == [
        "nudge nudged  web: application-gateway agw-1: tag changed",
        "nudge waiting web: front-door: picks it up within 4 days",
    ]
