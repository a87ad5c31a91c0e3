"""The workflow is never silent: no shard report still reaches the tracking issue, and
the renew schedule is kept enabled (GitHub REST stand-in, tests/rig/github_api.py).

The workflow-level tests run the composite action's own shell scripts
(action.yml) with bash, with the environment its steps set, exactly as the
renew workflow's report job calls them: merge with an empty or missing
reports folder, then publish, then keepalive.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from rig import GitHubStandIn
from rig.github_api import ACTIONS_BOT

from renewer.report.merge import NOT_REPORTED
from tests.integration.runner import REPO, run_cli
from tests.integration.test_github_reports import NAMES, entry, gh_env, write_config, write_report

pytestmark = pytest.mark.integration

ACTION = yaml.safe_load((REPO / "action.yml").read_text())
WORKFLOW = yaml.safe_load((REPO / ".github" / "workflows" / "renew.yml").read_text())


def action_step(command: str) -> dict[str, Any]:
    """The composite step that runs ``command`` (by its ``if:`` condition)."""
    for step in ACTION["runs"]["steps"]:
        condition = str(step.get("if", ""))
        if "run" in step and f"'{command}'" in condition and "!=" not in condition:
            return dict(step)
    for step in ACTION["runs"]["steps"]:
        if "run" in step and "!= 'publish'" in str(step.get("if", "")):
            return dict(step)  # the non-token step runs everything else
    raise AssertionError(command)


INPUT = re.compile(r"^\$\{\{ inputs\.([\w-]+) \}\}$")


def run_action(command: str, tmp_path: Path, inputs: dict[str, str], env: dict[str, str]) -> Any:
    """Run the action's script for ``command`` as the runner would (bash, env: only).

    Every ``env:`` entry of the step is set as the runner sets it: an input's
    given value or its default from action.yml (so a new input cannot be
    forgotten here; an expression default such as ``github.token`` is empty),
    ``github.action_path`` as the repository.
    """
    step = action_step(command)
    given = {"command": command, **inputs}
    wanted: dict[str, str] = {}
    for name, expression in step["env"].items():
        found = INPUT.match(str(expression))
        if found:
            key = found.group(1)
            default = str(ACTION["inputs"][key].get("default", ""))
            wanted[name] = given.get(key, "" if default.startswith("${{") else default)
    wanted["GITHUB_TOKEN"] = env.get("GITHUB_TOKEN", "")
    full = {**os.environ, **env, **wanted, "PYTHONPATH": str(REPO)}
    full.pop("GITHUB_ACTIONS", None)
    return subprocess.run(
        ["bash", "-c", step["run"]],
        cwd=tmp_path,
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
    )


def report_job_inputs(step_name: str) -> dict[str, str]:
    (step,) = [s for s in WORKFLOW["jobs"]["report"]["steps"] if s.get("name") == step_name]
    return {k: str(v) for k, v in step["with"].items()}


def test_the_report_job_merges_and_publishes_even_without_shard_reports() -> None:
    merge = report_job_inputs("Merge shard reports")
    assert merge["command"] == "merge"
    assert merge["config"] == "${{ matrix.config }}"  # one report job per certificates file
    assert "inputs.only" in merge["only"] and "inputs.dry_run" in merge["dry-run"]
    for name in ("Merge shard reports", "Publish (job summary, tracking issue, inventory)"):
        (step,) = [s for s in WORKFLOW["jobs"]["report"]["steps"] if s.get("name") == name]
        assert "!cancelled()" in step["if"], name  # runs after a failed download too
    keep = WORKFLOW["jobs"]["keepalive"]
    assert keep["permissions"] == {"actions": "write", "contents": "read"}
    assert "needs" not in keep  # independent of validation and of the renew jobs
    (uses,) = [s for s in keep["steps"] if s.get("uses") == "./"]
    assert uses["with"]["command"] == "keepalive" and uses["with"]["workflow"] == "renew.yml"


@pytest.mark.parametrize("reports", ["missing", "empty"])
def test_no_shard_report_is_published_as_every_certificate_failed(
    github_api: GitHubStandIn, tmp_path: Path, reports: str
) -> None:
    config = write_config(tmp_path)
    if reports == "empty":
        (tmp_path / "reports").mkdir()
    inputs = {"config": str(config), "report": "report.json", "summary": "summary.md"}
    merged = run_action("merge", tmp_path, inputs, {})
    assert merged.returncode == 0, merged.stderr
    assert "3 certificate(s) not reported by any shard, marked failed" in merged.stderr
    body = json.loads((tmp_path / "report.json").read_text())
    assert [c["name"] for c in body["certificates"]] == sorted(NAMES)
    assert {c["result"] for c in body["certificates"]} == {"failed"}
    assert body["summary"]["failed"] == 3 and body["executed"] is True
    assert NOT_REPORTED in (tmp_path / "summary.md").read_text()
    published = run_action("publish", tmp_path, inputs, gh_env(github_api, tmp_path))
    assert published.returncode == 0, published.stderr
    assert "opened (3 problem(s))" in published.stdout
    (issue,) = github_api.open_issues()
    for name in NAMES:
        assert name in issue["body"]
    assert "not reported" in issue["body"]


def test_a_shard_that_did_not_report_leaves_its_certificates_failed(
    github_api: GitHubStandIn, tmp_path: Path
) -> None:
    config = write_config(tmp_path)
    (tmp_path / "reports").mkdir()
    write_report(tmp_path / "reports" / "report-shard-1.json", entry(NAMES[0], "succeeded"))
    result = run_cli(
        "report",
        "merge",
        str(tmp_path / "reports"),
        "-c",
        str(config),
        "-o",
        str(tmp_path / "report.json"),
    )
    assert result.code == 0, result.output
    rows = {
        c["name"]: c for c in json.loads((tmp_path / "report.json").read_text())["certificates"]
    }
    assert rows[NAMES[0]]["result"] == "succeeded"
    assert rows[NAMES[1]]["result"] == rows[NAMES[2]]["result"] == "failed"
    assert rows[NAMES[1]]["error"] == NOT_REPORTED
    only = run_cli(
        "report",
        "merge",
        str(tmp_path / "nothing"),
        "-c",
        str(config),
        "--only",
        NAMES[2],
        "--only",
        "gone",
        "--dry-run",
        "-o",
        str(tmp_path / "only.json"),
    )
    assert only.code == 0, only.output
    body = json.loads((tmp_path / "only.json").read_text())
    assert [c["name"] for c in body["certificates"]] == [NAMES[2]] and body["dry_run"] is True
    # Without -c the merge keeps its contract: no report is a usage error.
    plain = run_cli("report", "merge", str(tmp_path / "nothing"))
    assert plain.code == 2 and "nothing: file not found" in plain.stderr, plain.output


def test_keepalive_enables_the_renew_workflow(github_api: GitHubStandIn, tmp_path: Path) -> None:
    github_api.workflows["renew.yml"]["state"] = "disabled_inactivity"
    result = run_action("keepalive", tmp_path, {}, gh_env(github_api, tmp_path))
    assert result.returncode == 0, result.stderr
    assert "workflow renew.yml: enabled (was disabled_inactivity)" in result.stdout
    assert github_api.workflows["renew.yml"]["state"] == "active"
    (put,) = github_api.calls("PUT", "/enable")
    assert put.path == "/repos/contoso/certificates/actions/workflows/renew.yml/enable"
    assert put.body is None and put.status == 204
    again = run_cli("report", "keepalive", env=gh_env(github_api, tmp_path))
    assert again.code == 0 and "workflow renew.yml: enabled; its schedule stays on" in again.stdout
    assert len(github_api.calls("PUT", "/enable")) == 2  # every run, also when active


def test_keepalive_respects_a_person_and_reports_refusals(
    github_api: GitHubStandIn, tmp_path: Path
) -> None:
    github_api.workflows["renew.yml"]["state"] = "disabled_manually"
    result = run_cli("report", "keepalive", env=gh_env(github_api, tmp_path))
    assert result.code == 0 and "disabled_manually, left off" in result.stdout
    assert github_api.workflows["renew.yml"]["state"] == "disabled_manually"
    assert not github_api.calls("PUT", "/enable")
    github_api.workflows["renew.yml"]["state"] = "disabled_inactivity"
    github_api.actions_write = False  # the job forgot `actions: write`
    refused = run_cli("report", "keepalive", env=gh_env(github_api, tmp_path))
    assert refused.code == 1 and "GitHub refused, schedule not kept enabled" in refused.stderr
    assert "Resource not accessible by integration" in refused.stderr
    missing = run_cli(
        "report", "keepalive", "--workflow", "nope.yml", env=gh_env(github_api, tmp_path)
    )
    assert missing.code == 1 and "no workflow nope.yml" in missing.stderr
    github_api.outage = True
    down = run_cli("report", "keepalive", env=gh_env(github_api, tmp_path))
    assert down.code == 0 and "GitHub API unavailable" in down.stderr


def test_a_broken_certificates_file_opens_the_tracking_issue_with_its_errors(
    github_api: GitHubStandIn, tmp_path: Path
) -> None:
    """The renew jobs never start on a broken file; the report job's merge and publish
    (the action's own scripts, real renewer) still put the located errors in the issue,
    keep what an earlier run found, and the next valid run closes it again."""
    config = write_config(tmp_path)
    good = config.read_text()
    github_api.add_issue(
        "Certificates need attention",
        "<!-- renewer-tracking -->\nold\n"
        '<!-- renewer-state: {"www-contoso-com":{"kind":"failed","detail":"CA said no",'
        '"not_after":null,"since":"2026-12-01T00:00:00Z"}} -->\n',
        labels=("certificates",),
        author=ACTIONS_BOT,  # an earlier run's issue
    )
    config.write_text(good.replace("certificates:", "certificates:\n  - {name: bad name!}", 1))
    inputs = {"config": str(config), "report": "report.json", "summary": "summary.md"}
    env = gh_env(github_api, tmp_path)
    # A shard that did run (the file failed only here, e.g. a variable the report job
    # lacks) keeps its results beside the file's errors.
    (tmp_path / "reports").mkdir()
    write_report(tmp_path / "reports" / "shard-1.json", entry(NAMES[1], "succeeded"))
    merged = run_action("merge", tmp_path, inputs, env)
    assert merged.returncode == 0, merged.stderr
    assert re.search(rf"{re.escape(str(config))}:\d+:\d+: ", merged.stderr)  # located
    body = json.loads((tmp_path / "report.json").read_text())
    rows = {r["name"]: r for r in body["certificates"]}
    assert set(rows) == {config.name, NAMES[1]} and rows[NAMES[1]]["result"] == "succeeded"
    row = rows[config.name]
    assert row["name"] == config.name and row["result"] == "failed"
    assert f"{config}:" in row["error"] and "nothing was renewed" in row["error"]
    published = run_action("publish", tmp_path, inputs, env)
    assert published.returncode == 0, published.stderr
    (issue,) = github_api.open_issues()
    assert f"`{config.name}`" in issue["body"] and "invalid" in issue["body"]
    assert "www-contoso-com" in issue["body"]  # an earlier problem is not forgotten
    config.write_text(good)
    write_report(tmp_path / "healthy.json", *(entry(n) for n in NAMES))
    healthy = {**inputs, "report": "healthy.json"}
    again = run_action("publish", tmp_path, healthy, gh_env(github_api, tmp_path))
    assert again.returncode == 0, again.stderr
    assert "closed, all certificates healthy" in again.stdout
    assert github_api.open_issues() == []


def test_each_certificates_file_keeps_its_own_tracking_issue(
    github_api: GitHubStandIn, tmp_path: Path
) -> None:
    main = write_config(tmp_path)
    staging = tmp_path / "certificates.staging.yaml"
    staging.write_text(main.read_text())
    write_report(tmp_path / "bad.json", entry(NAMES[0], "failed", error="CA said no"))
    write_report(tmp_path / "good.json", *(entry(n) for n in NAMES))
    env = gh_env(github_api, tmp_path)
    for config, report in ((main, "bad.json"), (staging, "good.json")):
        inputs = {"config": str(config), "report": report, "summary": "summary.md"}
        result = run_action("publish", tmp_path, inputs, env)
        assert result.returncode == 0, result.stderr
    # The staging file's healthy run did not close the main file's issue.
    (issue,) = github_api.open_issues()
    assert "CA said no" in issue["body"] and "staging" not in issue["title"]
    write_report(tmp_path / "bad-staging.json", entry(NAMES[1], "failed", error="staging CA"))
    inputs = {"config": str(staging), "report": "bad-staging.json", "summary": "summary.md"}
    assert run_action("publish", tmp_path, inputs, env).returncode == 0
    issues = {i["title"]: i["body"] for i in github_api.open_issues()}
    assert len(issues) == 2
    (title,) = [t for t in issues if "certificates.staging.yaml" in t]
    assert "staging CA" in issues[title] and "CA said no" not in issues[title]
