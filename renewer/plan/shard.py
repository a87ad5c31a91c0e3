"""Split one inventory across N parallel jobs, and merge their JSON reports back.

A certificate belongs to shard ``sha256(lower(name)) mod N + 1``: stable
across runs, machines and Python versions (unlike ``hash()``), independent of
the order in certificates.yaml, and it moves only when N changes. Merging is
the inverse: the shards' JSON reports (docs/report.schema.json) become one
report whose Markdown is what the unsharded run would have rendered.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from renewer import app as run
from renewer.core.models import CertificateSpec, Plan
from renewer.execute.services import Services
from renewer.plan import planner
from renewer.report import render as report

MAX_SHARDS = 256
_SPEC = re.compile(r"\s*(\d{1,6})\s*/\s*(\d{1,6})\s*")


class ShardError(ValueError):
    """A ``--shard`` value that is not I/N with 1 <= I <= N."""


class ReportError(ValueError):
    """A JSON report that cannot be read or merged."""


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def contains(self, name: str) -> bool:
        return shard_of(name, self.count) == self.index


def parse_shard(text: str) -> Shard:
    """``"2/7"`` -> Shard(2, 7); anything else raises ShardError with one clear line."""
    match = _SPEC.fullmatch(text)
    if not match:
        raise ShardError(f"--shard {text!r}: expected I/N, e.g. 2/7")
    index, count = int(match.group(1)), int(match.group(2))
    if not 1 <= count <= MAX_SHARDS:
        raise ShardError(f"--shard {text!r}: N must be between 1 and {MAX_SHARDS}")
    if not 1 <= index <= count:
        raise ShardError(f"--shard {text!r}: I must be between 1 and N ({count})")
    return Shard(index, count)


def shard_of(name: str, count: int) -> int:
    """The 1-based shard of certificate ``name`` among ``count`` shards."""
    digest = hashlib.sha256(name.lower().encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def split(names: Iterable[str], shard: Shard) -> list[str]:
    return [name for name in names if shard.contains(name)]


def make_plan(
    specs: Collection[CertificateSpec],
    services: Services,
    only: Collection[str],
    force: bool,
    shard: Shard,
) -> tuple[Plan, run.State]:
    """``run.make_plan`` for this shard's part of the ``--only`` selection.

    Unknown ``--only`` names are still an error in every shard. A shard that
    owns no certificate reads no store and returns an empty plan.
    """
    selected = planner.select(specs, only)
    names = split((s.name for s in selected), shard)
    if not names:
        return Plan(generated_at=datetime.now(UTC), actions=()), run.State({}, {})
    return run.make_plan(specs, services, names, force)


# -- reports -------------------------------------------------------------------
_REQUIRED = ("schema_version", "generated_at", "dry_run", "executed", "summary", "certificates")


def load_report(path: Path) -> dict[str, Any]:
    """Read one JSON report; ReportError names the file and what is wrong."""
    try:
        body = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportError(f"{path}: file not found") from None
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
    return body


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


def merge_reports(reports: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One report from several shard reports; a certificate in two shards is an error."""
    if not reports:
        raise ReportError("no reports to merge")
    certificates: list[dict[str, Any]] = []
    seen: set[str] = set()
    summary: dict[str, int] = {}
    for body in reports:
        for entry in body["certificates"]:
            name = str(entry.get("name", ""))
            if name.lower() in seen:
                raise ReportError(f"certificate {name!r} appears in more than one report")
            seen.add(name.lower())
            certificates.append(dict(entry))
        for key, value in body["summary"].items():
            summary[key] = summary.get(key, 0) + int(value)
    if len(reports) > 1:  # shard order means nothing to a reader; names do
        certificates.sort(key=lambda entry: str(entry.get("name", "")).lower())
    unmanaged = sorted(
        {n for b in reports for n in b.get("unmanaged", []) if n.lower() not in seen}
    )
    stamps = [str(b["generated_at"]) for b in reports if b.get("generated_at")]
    return {
        "schema_version": 1,
        "generated_at": min(stamps) if stamps else None,
        "dry_run": any(bool(b["dry_run"]) for b in reports),
        "executed": any(bool(b["executed"]) for b in reports),
        "summary": summary,
        "certificates": certificates,
        "unmanaged": unmanaged,
    }


def render_json(body: Mapping[str, Any]) -> str:
    return json.dumps(body, indent=2) + "\n"


def render_markdown(body: Mapping[str, Any]) -> str:
    """The same Markdown a single run writes (report.markdown_from_body)."""
    return report.markdown_from_body(body)
