"""publish.inventory: certificates.lock.yaml, one reviewable diff per renewal and none otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from renewer.core.report_json import ReportBody
from renewer.publish.inventory import (
    HEADER,
    build_lock,
    describe_changes,
    lock_path_for,
    parse_lock,
)


def row(name: str, serial: str | None, **more: Any) -> dict[str, Any]:
    return {"name": name, "serial": serial, "not_after": "2027-02-01T00:00:00Z", **more}


def report(*rows: dict[str, Any]) -> ReportBody:
    return {"certificates": list(rows)}  # type: ignore[typeddict-item]


def test_the_lock_holds_public_facts_sorted_and_no_timestamp() -> None:
    text = build_lock(
        report(
            row("web", "0b", domains=["b.test", "a.test"], thumbprint="AB", error=None),
            row("Api", "0a", version="v1", issuer="CN=R3", reason="due", key="secret?"),
            row("new", None),  # nothing issued yet: no entry
        )
    )
    assert text.startswith(HEADER)
    data = yaml.safe_load(text)
    assert data["version"] == 1
    assert data["certificates"] == [
        {"name": "Api", "serial": "0a", "version": "v1", "issuer": "CN=R3",
         "not_after": "2027-02-01T00:00:00Z"},
        {"name": "web", "serial": "0b", "thumbprint": "AB", "not_after": "2027-02-01T00:00:00Z",
         "domains": ["b.test", "a.test"]},
    ]  # fmt: skip
    assert build_lock(report(row("web", "0b"))) == build_lock(report(row("web", "0b")))


def test_entries_the_report_lacks_are_kept_while_the_config_names_them() -> None:
    previous = build_lock(report(row("web", "01"), row("api", "02"), row("old", "03")))
    text = build_lock(report(row("WEB", "11")), previous, configured=["web", "api"])
    names = {e["name"]: e["serial"] for e in yaml.safe_load(text)["certificates"]}
    assert names == {"api": "02", "WEB": "11"}  # renamed case replaces, old one dropped
    assert set(parse_lock(build_lock(report(), previous))) == {"web", "api", "old"}


def test_changes_are_said_per_certificate() -> None:
    before = build_lock(report(row("web", "01"), row("old", "03")))
    after = build_lock(
        report(row("web", "11"), row("new", "21")), before, configured=["web", "new"]
    )
    assert describe_changes(before, after) == [
        "added `new`: serial `21`, valid until 2027-02-01T00:00:00Z",
        "removed `old` (no longer in the config)",
        "renewed `web`: serial `01` -> `11`, valid until 2027-02-01T00:00:00Z",
    ]
    assert describe_changes(after, after) == []


def test_an_unreadable_lock_reads_as_empty() -> None:
    assert parse_lock(None) == {} and parse_lock("") == {}
    assert parse_lock("certificates: [") == {}
    assert parse_lock("- a\n- b\n") == {}
    assert parse_lock("certificates:\n  - {serial: x}\n  - {name: ok}\n") == {"ok": {"name": "ok"}}


def test_the_lock_sits_beside_the_config_relative_to_the_repository(tmp_path: Path) -> None:
    config = tmp_path / "infra" / "certificates.yaml"
    assert lock_path_for(config, tmp_path) == "infra/certificates.lock.yaml"
    assert lock_path_for(tmp_path / "c.yml", tmp_path) == "c.lock.yaml"
    assert lock_path_for(Path("/elsewhere/certs.yaml"), tmp_path) == "certs.lock.yaml"
