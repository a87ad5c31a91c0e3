"""certificates.lock.yaml: the reviewable record of what is issued, never a secret.

One entry per certificate that has a current version: name, serial, not_after,
domains, and version, thumbprint and issuer when the report knows them. The
file is sorted and carries no timestamp, so it changes only when a certificate
does: every renewal leaves exactly one reviewable diff, a no-op run none.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import yaml

from renewer.core.report_json import ReportBody

LOCK_VERSION = 1
HEADER = (
    "# Written by renewer (report mode: pr); review it, do not edit it.\n"
    "# The certificates currently issued: public facts only, never a key or secret.\n"
)
FIELDS = ("serial", "version", "thumbprint", "issuer", "not_after", "domains")


def lock_path_for(config: Path, root: Path | None = None) -> str:
    """``certificates.yaml`` -> ``certificates.lock.yaml``, relative to the repository root."""
    base = root or Path.cwd()
    path = Path(config)
    lock = path.with_name(path.name.removesuffix(".yaml").removesuffix(".yml") + ".lock.yaml")
    try:
        return lock.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return lock.name


def _entry(row: Mapping[str, object]) -> dict[str, Any] | None:
    if not row.get("serial"):
        return None
    entry: dict[str, Any] = {"name": str(row["name"])}
    for key in FIELDS:
        value = row.get(key)
        if value not in (None, "", []):
            entry[key] = list(value) if key == "domains" and isinstance(value, list) else str(value)
    return entry


def parse_lock(text: str | None) -> dict[str, dict[str, Any]]:
    """The entries of an existing lock file by name; empty or unreadable -> {}."""
    if not text:
        return {}
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}
    items = data.get("certificates") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return {}
    return {str(i["name"]): dict(i) for i in items if isinstance(i, dict) and i.get("name")}


def build_lock(
    report: ReportBody,
    previous: str | None = None,
    configured: Collection[str] | None = None,
) -> str:
    """The new lock text: this report's entries over the previous file's.

    Entries the report lacks (another shard that failed to report, an
    ``--only`` run) are kept while the config still names them; ``configured``
    None keeps them all.
    """
    wanted = None if configured is None else {n.lower() for n in configured}
    entries = {
        name: entry
        for name, entry in parse_lock(previous).items()
        if wanted is None or name.lower() in wanted
    }
    for row in report.get("certificates", []):
        entry = _entry(row)
        if entry is not None:
            entries.pop(next((n for n in entries if n.lower() == entry["name"].lower()), ""), None)
            entries[entry["name"]] = entry
    body = {
        "version": LOCK_VERSION,
        "certificates": [entries[name] for name in sorted(entries, key=str.lower)],
    }
    return HEADER + yaml.safe_dump(body, sort_keys=False, allow_unicode=True, width=100)


def describe_changes(previous: str | None, current: str) -> list[str]:
    """One line per certificate added, renewed or removed between two lock files."""
    old, new = parse_lock(previous), parse_lock(current)
    lines = []
    for name in sorted(set(old) | set(new), key=str.lower):
        before, after = old.get(name), new.get(name)
        if after is None:
            lines.append(f"removed `{name}` (no longer in the config)")
        elif before is None:
            lines.append(
                f"added `{name}`: serial `{after.get('serial')}`, "
                f"valid until {after.get('not_after')}"
            )
        elif before != after:
            lines.append(
                f"renewed `{name}`: serial `{before.get('serial')}` -> "
                f"`{after.get('serial')}`, valid until {after.get('not_after')}"
            )
    return lines
