"""--shard I/N: a stable, balanced split; merging shard reports gives the unsharded report."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections import Counter
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import jsonschema
import pytest

from renewer import app
from renewer.config.types.store_directory import DirectorySettings
from renewer.core.models import ActionKind, CertificateSpec, Outcome, Result
from renewer.core.settings import StoreSettings
from renewer.execute.services import Services
from renewer.plan import shard
from renewer.plan.planner import UnknownCertificate, plan
from renewer.report import merge
from renewer.report import render as report
from renewer.report.model import RunReport
from tests.unit.factories import NOW, spec, stored_for

REPO = Path(__file__).resolve().parents[3]
SCHEMA = json.loads((REPO / "docs" / "report.schema.json").read_text())
NAMES = [f"cert-{i:04d}-example-com" for i in range(1000)]


def _parts(names: list[str], count: int) -> list[list[str]]:
    return [shard.split(names, shard.Shard(i, count)) for i in range(1, count + 1)]


# -- the split -------------------------------------------------------------------
def test_thousand_names_into_seven_parts_are_disjoint_covering_and_balanced() -> None:
    parts = _parts(NAMES, 7)
    assert sum(len(p) for p in parts) == len(NAMES)
    assert set().union(*map(set, parts)) == set(NAMES)
    assert all(set(a).isdisjoint(b) for i, a in enumerate(parts) for b in parts[i + 1 :])
    expected = len(NAMES) / 7
    for part in parts:  # sha256 is uniform: 1000/7 ≈ 143, binomial sd ≈ 11
        assert 0.75 * expected <= len(part) <= 1.25 * expected, [len(p) for p in parts]


def test_split_is_stable_across_processes_and_hash_seeds() -> None:
    code = (
        "import json, sys; from renewer.plan import shard; "
        "names = [f'cert-{i:04d}-example-com' for i in range(1000)]; "
        "print(json.dumps([shard.shard_of(n, 7) for n in names]))"
    )
    runs = []
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO)}
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
        ).stdout
        runs.append(json.loads(out))
    assert runs[0] == runs[1] == runs[2] == [shard.shard_of(n, 7) for n in NAMES]


def test_split_is_pinned_to_sha256_of_the_lowercase_name() -> None:
    # Golden values: a change here moves certificates between jobs of existing users.
    assert [shard.shard_of(n, 7) for n in ("www-contoso-com", "api-contoso-com")] == [
        shard.shard_of("WWW-Contoso-Com", 7),
        shard.shard_of("API-contoso-com", 7),
    ]
    digest = hashlib.sha256(b"www-contoso-com").digest()
    assert shard.shard_of("www-contoso-com", 7) == int.from_bytes(digest[:8], "big") % 7 + 1


def test_split_does_not_depend_on_order() -> None:
    assert sorted(_parts(list(reversed(NAMES)), 7)[3]) == sorted(_parts(NAMES, 7)[3])


def test_one_shard_takes_everything() -> None:
    assert shard.split(NAMES, shard.parse_shard("1/1")) == NAMES


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1/7", shard.Shard(1, 7)), ("7/7", shard.Shard(7, 7)), (" 2 / 3 ", shard.Shard(2, 3))],
)
def test_parse_valid(text: str, expected: shard.Shard) -> None:
    assert shard.parse_shard(text) == expected


@pytest.mark.parametrize(
    "text", ["0/7", "8/7", "1/0", "0/0", "-1/3", "a/b", "1", "1/7/2", "", "1/257", "1.5/3"]
)
def test_parse_invalid_is_one_clear_line(text: str) -> None:
    with pytest.raises(shard.ShardError) as caught:
        shard.parse_shard(text)
    message = str(caught.value)
    assert "\n" not in message and message.startswith("--shard ")


# -- planning one shard ----------------------------------------------------------------
def _specs(tmp_path: Path) -> list[CertificateSpec]:
    store = StoreSettings(type="directory", backend=DirectorySettings(tmp_path / "certs"))
    return [replace(spec(n, domains=(f"{n}.example.test",)), store=store) for n in NAMES[:20]]


def test_shard_plans_cover_the_config_once(tmp_path: Path) -> None:
    specs = _specs(tmp_path)
    seen: list[str] = []
    for index in range(1, 4):
        the_plan, state = app.make_shard_plan(specs, Services(), (), False, shard.Shard(index, 3))
        seen += [a.name for a in the_plan.actions]
        assert not the_plan.unmanaged and not state.unreadable
    assert sorted(seen) == sorted(s.name for s in specs)


def test_empty_shard_reads_no_store(tmp_path: Path) -> None:
    only = specs = _specs(tmp_path)[:1]
    empty = next(i for i in (1, 2) if not shard.Shard(i, 2).contains(only[0].name))

    class NoStores:
        def get(self, *_: object) -> None:
            raise AssertionError("an empty shard must not read a store")

    services = Services()
    services.stores = NoStores()  # type: ignore[assignment]
    the_plan, state = app.make_shard_plan(specs, services, (), False, shard.Shard(empty, 2))
    assert the_plan.actions == () and state.stored == {}


def test_unknown_only_name_is_an_error_in_every_shard(tmp_path: Path) -> None:
    specs = _specs(tmp_path)
    for index in (1, 2):
        with pytest.raises(UnknownCertificate):
            app.make_shard_plan(specs, Services(), ("nope",), False, shard.Shard(index, 2))


# -- merging reports ---------------------------------------------------------------
def _run_report(names: list[str]) -> RunReport:
    specs = [spec(n) for n in names]
    stored = {s.name: stored_for(s) for s in specs if s.name.endswith("3")}
    the_plan = plan(specs, stored, NOW, managed=names)
    results = []
    for action in the_plan.actions:
        if action.kind is ActionKind.SKIP:
            results.append(Result(action.name, action.kind, action.reason, Outcome.SKIPPED))
        elif action.name.endswith("7"):
            results.append(
                Result(action.name, action.kind, action.reason, Outcome.FAILED, error="boom | x")
            )
        else:
            results.append(
                Result(
                    action.name,
                    action.kind,
                    action.reason,
                    Outcome.SUCCEEDED,
                    "0a1b",
                    NOW + timedelta(days=90),
                    None,
                    1.0,
                )
            )
    return RunReport(the_plan, tuple(results))


def test_merged_report_equals_the_unsharded_one() -> None:
    names = sorted(NAMES[:30])
    whole = json.loads(report.render_json(_run_report(names)))
    parts = [json.loads(report.render_json(_run_report(p))) for p in _parts(names, 4)]
    merged = merge.merge_reports(parts)
    jsonschema.validate(merged, SCHEMA)
    assert merged["summary"] == whole["summary"]
    assert merged["certificates"] == sorted(whole["certificates"], key=lambda c: c["name"])
    assert merge.render_markdown(merged) == merge.render_markdown(
        {**whole, "certificates": merged["certificates"]}
    )


@pytest.mark.parametrize("executed", [True, False])
def test_markdown_from_json_matches_report_markdown(executed: bool) -> None:
    the_report = _run_report(NAMES[:9])
    if not executed:
        the_report = RunReport(the_report.plan)
    body = json.loads(report.render_json(the_report))
    assert merge.render_markdown(body) == report.render_markdown(the_report)


def test_merge_refuses_a_certificate_in_two_reports() -> None:
    body = json.loads(report.render_json(_run_report(NAMES[:3])))
    with pytest.raises(merge.ReportError, match="more than one report"):
        merge.merge_reports([body, body])


def test_merge_keeps_unmanaged_that_no_shard_manages() -> None:
    a = json.loads(report.render_json(_run_report(NAMES[:2])))
    b = json.loads(report.render_json(_run_report(NAMES[2:4])))
    a["unmanaged"], b["unmanaged"] = ["legacy-cert", NAMES[3]], ["legacy-cert"]
    assert merge.merge_reports([a, b])["unmanaged"] == ["legacy-cert"]


def test_load_report_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(merge.ReportError, match=r"bad\.json"):
        merge.load_report(bad)
    bad.write_text('{"schema_version": 1}')
    with pytest.raises(merge.ReportError, match="missing"):
        merge.load_report(bad)


# -- the CLI ---------------------------------------------------------------------
CONFIG = """\
acme: {directory: "https://127.0.0.1:14000/dir"}
store: {type: directory, path: certs}
dns: {type: challtestsrv, url: "http://127.0.0.1:8055"}
certificates:
"""


def _cli(*args: str, actions: bool = False) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("GITHUB_ACTIONS", None)
    env.pop("GITHUB_STEP_SUMMARY", None)
    if actions:
        env["GITHUB_ACTIONS"] = "true"
    return subprocess.run(
        [sys.executable, "-m", "renewer", *args], capture_output=True, text=True, env=env
    )


def _config(tmp_path: Path, names: list[str]) -> Path:
    path = tmp_path / "certificates.yaml"
    rows = "".join(f"  - {{name: {n}, domains: [{n}.example.test]}}\n" for n in names)
    path.write_text(CONFIG + rows)
    return path


@pytest.mark.parametrize("command", ["plan", "renew"])
@pytest.mark.parametrize("value", ["0/3", "4/3", "x", "1/0"])
def test_cli_bad_shard_exits_2_with_one_line(tmp_path: Path, command: str, value: str) -> None:
    config = _config(tmp_path, NAMES[:3])
    result = _cli(command, "-c", str(config), "--shard", value, actions=True)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith("error: --shard ")
    assert result.stdout.startswith("::error title=renewer::--shard "), result.stdout
    plain = _cli(command, "-c", str(config), "--shard", value)
    assert plain.returncode == 2 and "::error" not in plain.stdout


def test_cli_sharded_plans_then_merge(tmp_path: Path) -> None:
    names = NAMES[:12]
    config = _config(tmp_path, names)
    outputs = []
    for index in (1, 2, 3):
        out = tmp_path / f"plan-{index}.json"
        result = _cli(
            "plan", "-c", str(config), "--shard", f"{index}/3", "--format", "json", "-o", str(out)
        )
        assert result.returncode == 0, result.stderr
        outputs.append(out)
    merged = tmp_path / "merged.json"
    summary = tmp_path / "merged.md"
    result = _cli(
        "report", "merge", *map(str, outputs), "-o", str(merged), "--summary", str(summary)
    )
    assert result.returncode == 0, result.stderr
    body = json.loads(merged.read_text())
    jsonschema.validate(body, SCHEMA)
    assert Counter(c["name"] for c in body["certificates"]) == Counter(names)
    assert body["summary"]["issue"] == 12
    assert summary.read_text().startswith("### renewer plan")


def test_cli_merge_reads_a_directory_and_rejects_garbage(tmp_path: Path) -> None:
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "x.json").write_text("[]")
    result = _cli("report", "merge", str(tmp_path / "reports"))
    assert result.returncode == 2
    assert "x.json" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_merged_markdown_flags_certificates_at_risk() -> None:
    row = {
        "name": "risky",
        "action": "renew",
        "reason": "expires in 10 days",
        "result": "failed",
        "error": "CA unreachable: ConnectionError",
        "serial": "0a",
        "not_after": "2026-12-08T00:00:00Z",
        "severity": "at-risk",
        "severity_words": "at risk: expires in 10 days (2026-12-08)",
    }
    body = {
        "summary": {"total": 1, "renew": 1, "failed": 1},
        "executed": True,
        "dry_run": False,
        "certificates": [row],
        "unmanaged": [],
    }
    text = merge.render_markdown(body)
    assert "**At risk or worse:** `risky` (at risk)" in text
    assert "❌ **at risk: expires in 10 days (2026-12-08)** — `CA unreachable" in text
