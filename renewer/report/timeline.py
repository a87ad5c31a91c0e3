"""A Mermaid timeline of the certificates due soon, for the job summary and tracking issue.

Why a picture: with 24-hour or 6-day certificates the question is whether the
run cadence fits the lifetime, and that is seen at a glance on a time axis:
the planned renewal, the next scheduled runs and the expiry. GitHub renders
Mermaid in Markdown.

Only renewer's own facts go into the chart: certificate names (config, checked
to ``[0-9A-Za-z-]``), fixed labels and times. No CA text (problem details,
reasons) is ever put in a Mermaid label, so nothing from outside can change
the chart's syntax.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from renewer.core.report_json import CertificateEntry

SOON = timedelta(hours=48)  # renewal or expiry within this: drawn
MAX_CERTIFICATES = 12  # a chart, not an inventory
MAX_RUNS = 4
_SAFE_NAME = re.compile(r"^[0-9A-Za-z-]{1,127}$")
_FORMAT = "%Y-%m-%d %H:%M"


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _due_soon(row: CertificateEntry, now: datetime) -> bool:
    expiry = _moment(row.get("not_after"))
    if expiry is None or not _SAFE_NAME.match(row.get("name") or ""):
        return False
    renew_at = _moment(row.get("renew_at"))
    if row.get("action") != "skip":
        return expiry - now <= SOON or renew_at is not None
    return renew_at is not None and renew_at - now <= SOON


def mermaid(rows: Sequence[CertificateEntry], now: datetime) -> list[str]:
    """Markdown lines: a Mermaid gantt of the due-soon certificates (none: no lines)."""
    chosen = [r for r in rows if _due_soon(r, now)][:MAX_CERTIFICATES]
    if not chosen:
        return []
    lines = [
        "",
        "<details open><summary>Due soon: renewal, scheduled runs and expiry (UTC)</summary>",
        "",
        "```mermaid",
        "gantt",
        "    dateFormat YYYY-MM-DD HH:mm",
        "    axisFormat %m-%d %H:%M",
        "    todayMarker off",
    ]
    for row in chosen:
        lines += _section(row, now)
    lines += ["```", "", "</details>"]
    return lines


def _section(row: CertificateEntry, now: datetime) -> list[str]:
    expiry = _moment(row.get("not_after"))
    assert expiry is not None
    renew_at = _moment(row.get("renew_at"))
    every = timedelta(seconds=float(row.get("run_every_seconds") or 12 * 3600))
    out = [f"    section {row['name']}"]
    start = min(now, renew_at) if renew_at is not None else now
    out.append(f"    valid :active, {start.strftime(_FORMAT)}, {expiry.strftime(_FORMAT)}")
    out.append(f"    this run :milestone, {now.strftime(_FORMAT)}, 0m")
    if row.get("action") == "skip" and renew_at is not None:
        out.append(f"    planned renewal :crit, milestone, {renew_at.strftime(_FORMAT)}, 0m")
    runs = 0
    moment = now + every
    while moment < expiry and runs < MAX_RUNS:
        runs += 1
        out.append(f"    next run {runs} :milestone, {moment.strftime(_FORMAT)}, 0m")
        moment += every
    out.append(f"    expiry :milestone, {expiry.strftime(_FORMAT)}, 0m")
    return out
