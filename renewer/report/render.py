"""Renderers: one RunReport, three views (terminal text, Markdown, JSON).

The report is built from the Plan and Results only; renderers add no facts,
so the PR comment, the job summary and the JSON artifact always agree.
Nothing here can print a secret: the models carry none.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Literal

from renewer.core import escape, timefmt
from renewer.core.models import (
    ORPHAN_WARNING,
    Action,
    ActionKind,
    LockHolder,
    Orphan,
    Outcome,
    Plan,
    Result,
)
from renewer.core.report_json import CertificateEntry, LockHolderEntry, ReportBody, Summary
from renewer.report import escalation, struggle, timeline
from renewer.report.model import RunReport

SCHEMA_VERSION: Literal[1] = 1
SYMBOLS = {
    ActionKind.ISSUE: "+",
    ActionKind.RENEW: "~",
    ActionKind.SKIP: "=",
    ActionKind.ADOPT: ">",
    ActionKind.BLOCKED: "!",
}
OUTCOME_WORDS = {
    Outcome.SUCCEEDED: "ok",
    Outcome.FAILED: "FAILED",
    Outcome.SKIPPED: "skipped",
    Outcome.PLANNED: "planned",
    Outcome.BLOCKED: "blocked",
    Outcome.DEFERRED: "deferred",
}
WAITING_VALUES = {o.value for o in escalation.WAITING}


def _when(moment: datetime | None) -> str | None:
    return timefmt.iso(moment) if moment else None


def _results_by_name(report: RunReport) -> dict[str, Result]:
    return {r.name: r for r in report.results}


def counts(report: RunReport) -> Summary:
    """Totals for headers and the JSON summary."""
    actions, results = report.plan.actions, report.results
    return {
        "total": len(actions),
        "issue": sum(a.kind is ActionKind.ISSUE for a in actions),
        "renew": sum(a.kind is ActionKind.RENEW for a in actions),
        "skip": sum(a.kind is ActionKind.SKIP for a in actions),
        "adopt": sum(a.kind is ActionKind.ADOPT for a in actions),
        "succeeded": sum(r.outcome is Outcome.SUCCEEDED for r in results),
        "failed": sum(r.outcome is Outcome.FAILED for r in results),
        "skipped": sum(r.outcome is Outcome.SKIPPED for r in results),
        "planned": sum(r.outcome is Outcome.PLANNED for r in results),
        "blocked": sum(r.outcome is Outcome.BLOCKED for r in results)
        if results
        else sum(a.kind is ActionKind.BLOCKED for a in actions),
        "deferred": sum(r.outcome is Outcome.DEFERRED for r in results),
    }


# -- JSON --------------------------------------------------------------------
def _entry(action: Action | None, result: Result | None) -> CertificateEntry:
    name = action.name if action else result.name if result else ""
    stored = action.stored if action else None
    entry: CertificateEntry = {
        "name": name,
        "action": (action.kind if action else result.action if result else ActionKind.SKIP).value,
        "reason": result.reason if result else action.reason if action else "",
        "result": result.outcome.value if result else None,
        "domains": list(action.spec.domains) if action else [],
        "serial": (result.serial if result else None) or (stored.serial if stored else None),
        "not_after": _when(
            (result.not_after if result else None) or (stored.not_after if stored else None)
        ),
        "renew_at": _when(action.renew_at) if action else None,
        "error": result.error if result else None,
        "duration_seconds": round(result.duration, 3) if result else None,
    }
    if result and result.holder:
        entry["holder"] = _holder(result.holder)
    issuer = (result.issuer if result else None) or (stored.directory if stored else None)
    if issuer and entry["serial"]:
        entry["issuer"] = issuer
    if result and result.ca_retried:
        entry["ca_retried"] = dict(result.ca_retried)
    if action is not None:
        entry["run_every_seconds"] = action.spec.run_every.total_seconds()
    return entry


def _holder(holder: LockHolder) -> LockHolderEntry:
    return {
        "pid": holder.pid,
        "host": holder.host,
        "since": _when(holder.since),
        "live": holder.live,
        "words": holder.words(),
    }


def escalate(result: Result, action: Action | None, now: datetime) -> escalation.Escalation | None:
    """How loud a failed result is, from its stored certificate's dates (None unless failed)."""
    stored = action.stored if action else None
    due = action is not None and action.kind is ActionKind.BLOCKED and action.renew_at is None
    return escalation.classify(
        result,
        stored.not_before if stored else None,
        stored.not_after if stored else None,
        now,
        due=due,
    )


def escalations(report: RunReport) -> dict[str, escalation.Escalation]:
    """Failed certificates only: how near expiry each one is (at plan time)."""
    actions = {a.name: a for a in report.plan.actions}
    found: dict[str, escalation.Escalation] = {}
    for result in report.results:
        level = escalate(result, actions.get(result.name), report.plan.generated_at)
        if level is not None:
            found[result.name] = level
    return found


def failing(report: RunReport) -> tuple[Result, ...]:
    """What makes the run exit 1: failures, and blocked or deferred certificates escalated."""
    actions = {a.name: a for a in report.plan.actions}
    return tuple(
        r
        for r in report.results
        if escalation.fails_run(r, escalate(r, actions.get(r.name), report.plan.generated_at))
    )


def entries(report: RunReport) -> list[CertificateEntry]:
    results = _results_by_name(report)
    rows = [_entry(a, results.pop(a.name, None)) for a in report.plan.actions]
    rows += [_entry(None, r) for r in results.values()]  # e.g. unreadable stores
    levels = escalations(report)
    for row in rows:  # optional field: failed, blocked and deferred certificates only
        noted = row["result"] == "failed" or row["result"] in WAITING_VALUES
        level = levels.get(row["name"]) if noted else None
        if level is not None:
            row["severity"] = level.severity.value
            row["severity_words"] = level.words
    return rows


def as_body(report: RunReport) -> ReportBody:
    """The documented machine form (docs/report.schema.json) every renderer reads."""
    body: ReportBody = {
        "schema_version": SCHEMA_VERSION,
        "generated_at": _when(report.plan.generated_at),
        "dry_run": report.dry_run,
        "executed": bool(report.results),
        "summary": counts(report),
        "certificates": entries(report),
        "unmanaged": list(report.plan.unmanaged),
        "orphaned": [
            {"name": o.name, "not_after": _when(o.not_after)} for o in report.plan.orphaned
        ],
    }
    if report.persist:
        from renewer.report import persist as persist_report  # dns-persist-01: when used

        body["persist"] = persist_report.as_json(report.persist)
    return body


def render_json(report: RunReport) -> str:
    return json.dumps(as_body(report), indent=2) + "\n"


def orphan_lines(orphans: Sequence[Orphan], now: datetime, *, markdown: bool = False) -> list[str]:
    """One line per orphaned certificate; a warning once its expiry is near (nothing renews it)."""
    lines = []
    for orphan in orphans:
        name = escape.inert(orphan.name, escape.Target.MARKDOWN) if markdown else orphan.name
        left = orphan.not_after - now
        short = left < timedelta(days=2)  # the span is in hours: say the time of day too
        expiry = (timefmt.minute if short else timefmt.day)(orphan.not_after)
        line = (
            f"orphaned {name}: issued by renewer, no longer in certificates.yaml, never "
            f"touched; expires {expiry}"
        )
        if left <= ORPHAN_WARNING:
            warn = "⚠️ " if markdown else "warning: "
            when = (
                f"in {timefmt.span(left)}" if left > timedelta(0) else f"{timefmt.span(left)} ago"
            )
            line = (
                f"{warn}{line}, {when}, and nothing renews it: add it back to "
                "certificates.yaml, or remove it from the store when it is no longer used"
            )
        lines.append(line)
    return lines


# -- text --------------------------------------------------------------------
def plan_line(action: Action, width: int = 0) -> str:
    stored, listed = action.stored, bool(action.spec.fallbacks)  # several CAs: say whose it is
    issuer = f" [issued by {stored.directory}]" if listed and stored and stored.directory else ""
    return (
        f"  {SYMBOLS[action.kind]} {action.kind.value:<5}  {action.name:<{width}}  "
        f"{action.reason}{issuer}"
    )


def progress_line(result: Result) -> str:
    """One line per certificate as it completes (terminal, CI log)."""
    word = OUTCOME_WORDS[result.outcome]
    if result.outcome is Outcome.FAILED or result.outcome in escalation.WAITING:
        return f"{word:<7} {result.name}: {result.error}"
    detail = result.reason
    if result.outcome is Outcome.SUCCEEDED:
        expiry = timefmt.minute(result.not_after) if result.not_after else ""  # 24 h ones too
        issuer = f" from {result.issuer}" if result.issuer else ""
        detail = f"serial {result.serial}{issuer}, valid until {expiry} ({result.duration:.1f}s)"
    return f"{word:<7} {result.name}: {detail}"


def render_plan_text(plan: Plan) -> str:
    width = max((len(a.name) for a in plan.actions), default=0)
    lines = [plan_line(a, width) for a in plan.actions]
    if plan.unmanaged:
        lines.append(f"  unmanaged (never touched): {', '.join(plan.unmanaged)}")
    lines += [f"  {line}" for line in orphan_lines(plan.orphaned, plan.generated_at)]
    if plan.budgets is not None:
        lines += [f"  budget: {line}" for line in plan.budgets.lines()]
    c = counts(RunReport(plan))
    extra = "".join(
        f", {c.get(k, 0)} {w}"
        for k, w in (("adopt", "to adopt"), ("blocked", "blocked"))
        if c.get(k)
    )
    lines.append(
        f"Plan: {c['issue']} to issue, {c['renew']} to renew{extra}, {c['skip']} unchanged."
    )
    return "\n".join(lines) + "\n"


def render_text(report: RunReport) -> str:
    if report.persist:  # the standing records go before the last (summary) line
        from renewer.report import persist as persist_report

        lines = _render_text(report).splitlines()
        lines[-1:-1] = persist_report.text(report.persist)
        return "\n".join(lines) + "\n"
    return _render_text(report)


def _render_text(report: RunReport) -> str:
    if not report.results:
        return render_plan_text(report.plan)
    c = counts(report)
    lines = [progress_line(r) for r in report.results if r.outcome is not Outcome.SKIPPED]
    prefix = "Dry run" if report.dry_run else "Done"
    waiting = "".join(f", {c[o.value]} {o.value}" for o in escalation.WAITING if c[o.value])
    lines.append(
        f"{prefix}: {c['succeeded']} succeeded, {c['failed']} failed, "
        f"{c['skipped']} unchanged, {c['planned']} planned{waiting}."
    )
    return "\n".join(lines) + "\n"


# -- Markdown ----------------------------------------------------------------
def _cell(text: str | None) -> str:
    """Our own words in a table cell (reasons, severities): only pipes and breaks matter."""
    return (text or "").replace("|", "\\|").replace("\n", " ")


def _outside(text: object) -> str:
    """Text from outside (a CA, a DNS API, a program, a store listing) in a table cell."""
    return escape.inert(text, escape.Target.MARKDOWN_CELL)


def render_markdown(report: RunReport) -> str:
    """Job summary, tracking issue and PR comment body."""
    if not report.persist:
        return markdown_from_body(as_body(report))
    from renewer.report import persist as persist_report

    return markdown_from_body(as_body(report), persist_report.markdown(report.persist))


def markdown_from_body(body: ReportBody, extra: Sequence[str] = ()) -> str:
    """Markdown from the JSON form, so merged shard reports render exactly like one run."""
    c = body["summary"]
    executed, dry_run = bool(body["executed"]), bool(body["dry_run"])
    title = "renewer plan" if not executed else ("renewer dry run" if dry_run else "renewer run")
    lines = [f"### {title}", ""]
    if executed:
        waiting = "".join(
            f"**{c.get(key)}** {key} · " for key in sorted(WAITING_VALUES) if c.get(key)
        )
        lines.append(
            f"**{c.get('succeeded', 0)}** succeeded · **{c.get('failed', 0)}** failed · "
            f"{waiting}**{c.get('skipped', 0)}** unchanged · {c.get('total', 0)} certificates"
        )
    else:
        others = "".join(
            f"**{c.get(k)}** {w} · "
            for k, w in (("adopt", "to adopt"), ("blocked", "blocked"))
            if c.get(k)
        )
        lines.append(
            f"**{c.get('issue', 0)}** to issue · **{c.get('renew', 0)}** to renew · "
            f"{others}{c.get('skip', 0)} unchanged"
        )
    rows = list(body["certificates"])
    flagged = [r for r in rows if r.get("severity") in FLAGGED]
    if flagged:
        lines += [
            "",
            "**At risk or worse:** "
            + ", ".join(f"{_outside(r['name'])} ({FLAGGED[r['severity']]})" for r in flagged),
        ]
    lines += struggle.markdown_lines(rows)
    lines += ["", "| Certificate | Action | Reason | Result | Expiry |", "|---|---|---|---|---|"]
    for row in rows:
        result = _cell(str(row.get("result") or "—"))
        severity, words = row.get("severity"), row.get("severity_words") or row.get("severity")
        error = _outside(row.get("error"))
        if row.get("result") in WAITING_VALUES:
            mark = "🔒" if row.get("result") == Outcome.BLOCKED.value else "⏸️"
            loud = severity in FLAGGED or any(
                w in str(words) for w in ("not a live run", "due and not renewed")
            )
            state = f"**{row['result']}: {words}**" if loud else f"{row['result']}"
            result = f"{mark} {_cell(state)} — {error}"
        elif row.get("error") and severity in FLAGGED:
            result = f"❌ **{_cell(words)}** — {error}"
        elif row.get("error") and severity == escalation.Severity.WARNING.value:
            result = f"❌ {error} ({_cell(words)})"
        elif row.get("error"):
            result = f"❌ {error}"
        elif row.get("result") == Outcome.SUCCEEDED.value:
            result = "✅ " + (f"serial {_outside(row['serial'])}" if row.get("serial") else "")
            result += f" from {_outside(row['issuer'])}" if row.get("issuer") else ""
        result += struggle.cell_note(row)
        expiry = _cell((row.get("not_after") or "")[:16].replace("T", " "))  # with the time
        lines.append(
            f"| {_outside(row.get('name'))} | {_cell(row.get('action'))} | "
            f"{_cell(row.get('reason'))} | {result} | {expiry} |"
        )
    unmanaged = body.get("unmanaged") or []
    if unmanaged:
        names = ", ".join(escape.inert(n, escape.Target.MARKDOWN) for n in unmanaged)
        lines += ["", f"Unmanaged (never touched): {names}"]
    orphans = [
        Orphan(str(o["name"]), datetime.fromisoformat(str(o["not_after"])))
        for o in body.get("orphaned") or []
        if o.get("not_after")
    ]
    when = body.get("generated_at")
    now = datetime.fromisoformat(str(when)) if when else datetime.now(UTC)
    if orphans:
        lines += ["", *(f"- {line}" for line in orphan_lines(orphans, now, markdown=True))]
    lines += timeline.mermaid(rows, now)
    lines += list(extra)
    return "\n".join(lines) + "\n"


FLAGGED = {
    escalation.Severity.AT_RISK.value: "at risk",
    escalation.Severity.CRITICAL.value: "critical",
    escalation.Severity.EXPIRED.value: "EXPIRED",
}
RENDERERS = {"text": render_text, "markdown": render_markdown, "json": render_json}
