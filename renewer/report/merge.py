"""Merge the JSON reports of sharded runs back into one.

The inverse of ``renewer.plan.shard``: the shards' JSON reports
(docs/report.schema.json) become one report whose Markdown is what the
unsharded run would have rendered.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

from renewer.core.errors import RenewerError
from renewer.core.files import BoundedReadError, read_bounded
from renewer.core.report_json import CertificateEntry, ReportBody, Summary
from renewer.report import render as report


class ReportError(RenewerError, ValueError):
    """A JSON report that cannot be read or merged."""


_REQUIRED = ("schema_version", "generated_at", "dry_run", "executed", "summary", "certificates")


def load_report(path: Path) -> ReportBody:
    """Read one JSON report; ReportError names the file and what is wrong."""
    try:
        body = json.loads(read_bounded(Path(path)).decode("utf-8"))
    except BoundedReadError as exc:
        if str(exc) == "does not exist":
            raise ReportError(f"{path}: file not found") from None
        raise ReportError(f"{path}: {exc}") from None
    except (OSError, ValueError) as exc:
        raise ReportError(f"{path}: not a JSON report ({exc.__class__.__name__})") from None
    if not isinstance(body, dict):
        raise ReportError(f"{path}: not a JSON report (expected an object)")
    missing = [key for key in _REQUIRED if key not in body]
    if missing:
        raise ReportError(f"{path}: not a renewer report (missing {', '.join(missing)})")
    if body["schema_version"] != 1:
        raise ReportError(f"{path}: schema_version {body['schema_version']!r} is not supported")
    if not isinstance(body["certificates"], list) or not isinstance(body["summary"], dict):
        raise ReportError(f"{path}: certificates must be a list and summary an object")
    body.setdefault("unmanaged", [])
    body.setdefault("orphaned", [])
    return cast(ReportBody, body)  # the keys every reader needs are checked above


def report_files(paths: Iterable[str]) -> list[Path]:
    """Files as given; a directory stands for the *.json files under it, sorted."""
    found: list[Path] = []
    for text in paths:
        path = Path(text)
        if path.is_dir():
            found += sorted(p for p in path.rglob("*.json") if p.is_file())
        else:
            found.append(path)
    if not found:
        raise ReportError(f"no JSON reports in {', '.join(paths)}")
    return found


def merge_reports(reports: Sequence[ReportBody]) -> ReportBody:
    """One report from several shard reports; a certificate in two shards is an error."""
    if not reports:
        raise ReportError("no reports to merge")
    certificates: list[CertificateEntry] = []
    seen: set[str] = set()
    summary: dict[str, int] = {}
    for body in reports:
        for entry in body["certificates"]:
            name = str(entry.get("name", ""))
            if name.lower() in seen:
                raise ReportError(f"certificate {name!r} appears in more than one report")
            seen.add(name.lower())
            certificates.append(entry.copy())
        for key, value in body["summary"].items():
            summary[key] = summary.get(key, 0) + _count(value)
    if len(reports) > 1:  # shard order means nothing to a reader; names do
        certificates.sort(key=lambda entry: str(entry.get("name", "")).lower())
    unmanaged = sorted(
        {n for b in reports for n in b.get("unmanaged", []) if n.lower() not in seen}
    )
    orphaned = sorted(
        {
            (str(o["name"]), str(o.get("not_after")))
            for b in reports
            for o in b.get("orphaned", [])
            if str(o.get("name", "")).lower() not in seen
        }
    )
    stamps = [str(b["generated_at"]) for b in reports if b.get("generated_at")]
    merged: ReportBody = {
        "schema_version": 1,
        "generated_at": min(stamps) if stamps else None,
        "dry_run": any(bool(b["dry_run"]) for b in reports),
        "executed": any(bool(b["executed"]) for b in reports),
        "summary": cast(Summary, summary),  # the sum of the shards' counts, key by key
        "certificates": certificates,
        "unmanaged": unmanaged,
        "orphaned": [{"name": n, "not_after": t} for n, t in orphaned],
    }
    nudges = [n for b in reports for n in b.get("nudges") or () if isinstance(n, Mapping)]
    if nudges:  # each shard nudged its own certificates' consumers
        merged["nudges"] = [dict(n) for n in nudges]
    checks = [v for b in reports if isinstance(v := b.get("verify"), Mapping)]
    if checks:  # renewer verify: each shard checked its own certificates' endpoints
        merged["verify"] = merge_verify(checks)
    return merged


def merge_verify(sections: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The shards' ``verify`` sections (docs/verify.schema.json) as one."""
    totals: dict[str, int] = {}
    for section in sections:
        for key, value in section["summary"].items():
            totals[key] = totals.get(key, 0) + int(value)
    stamps = [str(s["generated_at"]) for s in sections if s.get("generated_at")]
    return {
        "schema_version": 1,
        "generated_at": min(stamps) if stamps else None,
        "summary": totals,
        "endpoints": [dict(row) for s in sections for row in s["endpoints"]],
    }


def _count(value: object) -> int:
    if isinstance(value, int | float | str):
        return int(value)
    raise ReportError(f"summary counts must be numbers, got {type(value).__name__}")


NOT_REPORTED = (
    "not reported: no shard report covers this certificate (the renew job failed or was "
    "cut off before writing its report); see the workflow run"
)


def not_reported_row(name: str) -> CertificateEntry:
    """A failed row for a selected certificate that no shard reported on."""
    return {
        "name": name,
        "action": "skip",
        "reason": "not reported",
        "result": "failed",
        "domains": [],
        "serial": None,
        "not_after": None,
        "renew_at": None,
        "error": NOT_REPORTED,
        "duration_seconds": None,
        "severity": "not-issued",
        "severity_words": "not reported",
    }


def empty_report(generated_at: str, dry_run: bool) -> ReportBody:
    """What the merge starts from when no shard wrote a report at all."""
    summary: Summary = {
        "total": 0,
        "issue": 0,
        "renew": 0,
        "skip": 0,
        "succeeded": 0,
        "failed": 0,
        "skipped": 0,
        "planned": 0,
    }
    return {
        "schema_version": 1,
        "generated_at": generated_at,
        "dry_run": dry_run,
        "executed": True,
        "summary": summary,
        "certificates": [],
        "unmanaged": [],
    }


CONFIG_INVALID = "the file is invalid, nothing was renewed"
MAX_CONFIG_ISSUES = 10


def config_invalid_report(
    config_name: str, problems: Sequence[str], generated_at: str, dry_run: bool
) -> ReportBody:
    """A report for a run whose certificates file did not validate: one failed row, the file.

    A broken file merged to main stops the renew jobs before any of them writes a
    report; without this row the tracking issue would stay silent about the most
    likely mistake. The row is named after the file (no certificate is known), so
    the next valid run, which never reports that name, drops it again.
    """
    shown = list(problems[:MAX_CONFIG_ISSUES])
    if len(problems) > MAX_CONFIG_ISSUES:
        shown.append(f"… and {len(problems) - MAX_CONFIG_ISSUES} more")
    row = not_reported_row(config_name)
    row["reason"] = "configuration invalid"
    row["error"] = f"{CONFIG_INVALID}: " + "; ".join(shown)
    row["severity_words"] = "configuration invalid"
    body = empty_report(generated_at, dry_run)
    body["certificates"] = [row]
    summary = body["summary"]
    summary["total"] = summary["skip"] = summary["failed"] = 1
    return body


def mark_missing(body: ReportBody, selected: Iterable[str]) -> tuple[ReportBody, list[str]]:
    """``body`` with a failed "not reported" row for every selected certificate it lacks.

    A shard that died before writing its report (an install failure, a killed
    runner) used to leave no trace: the merge saw fewer certificates, or no
    report at all and exited 2, and the tracking issue said nothing. Now every
    certificate the run was meant to cover is accounted for.
    """
    seen = {str(entry.get("name", "")).lower() for entry in body["certificates"]}
    missing = [name for name in selected if name.lower() not in seen]
    if not missing:
        return body, []
    summary = body["summary"].copy()
    summary["total"] = summary["total"] + len(missing)
    summary["skip"] = summary["skip"] + len(missing)
    summary["failed"] = summary["failed"] + len(missing)
    merged = body.copy()
    merged["certificates"] = sorted(
        [*body["certificates"], *(not_reported_row(n) for n in missing)],
        key=lambda entry: str(entry.get("name", "")).lower(),
    )
    merged["summary"] = summary
    merged["executed"] = True
    return merged, missing


def render_json(body: ReportBody) -> str:
    return json.dumps(body, indent=2) + "\n"


def render_markdown(body: ReportBody) -> str:
    """The same Markdown a single run writes (report.markdown_from_body)."""
    return report.markdown_from_body(body)
