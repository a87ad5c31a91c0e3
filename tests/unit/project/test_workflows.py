"""Invariants of .github/workflows/*.yml and action.yml, checked by parsing the YAML.

These are the rules a reviewer would otherwise have to re-check on every edit:
pinned actions, least privilege, no expression injection into shell scripts,
Azure identity only where Azure is used, runs never cancelled halfway.
actionlint and zizmor (ci.yml) check more; this test needs neither.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
ACTION = REPO / "action.yml"
SOURCES = [*WORKFLOWS, ACTION]
WRITE_SCOPES_FOR_REPORTING = {"issues", "pull-requests"}
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"#\s*v\d+\.\d+\.\d+\s*$")
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>[^\s#]+)(?P<rest>.*)$")
FORBIDDEN_IN_RUN = re.compile(r"\$\{\{\s*(inputs\.|github\.event\.|github\.head_ref)")


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path
    return data


def _on(workflow: dict[str, Any]) -> dict[str, Any]:
    # YAML 1.1 reads a bare `on` key as the boolean True.
    triggers = workflow.get("on", workflow.get(True))
    assert isinstance(triggers, dict)
    return triggers


def _jobs(workflow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    jobs = workflow["jobs"]
    assert isinstance(jobs, dict) and jobs
    return jobs


def _steps(path: Path) -> list[dict[str, Any]]:
    data = _load(path)
    if path == ACTION:
        return list(data["runs"]["steps"])
    return [step for job in _jobs(data).values() for step in job.get("steps", [])]


def _grants(permissions: Any) -> dict[str, str]:
    if permissions in ({}, None):
        return {}
    if isinstance(permissions, str):  # read-all / write-all
        return {"*": permissions.removesuffix("-all")}
    assert isinstance(permissions, dict)
    return {str(k): str(v) for k, v in permissions.items()}


# Actions that sign with the job's OIDC token (release.yml): PyPI trusted publishing and
# Sigstore build provenance. Jobs using them may hold id-token (and attestations) only.
OIDC_PUBLISHERS = ("pypa/gh-action-pypi-publish@", "actions/attest-build-provenance@")


def _publishes_with_oidc(job: dict[str, Any]) -> bool:
    return any(s.get("uses", "").startswith(OIDC_PUBLISHERS) for s in job.get("steps", []))


def _uses_azure(job: dict[str, Any]) -> bool:
    """renewer signs in to Azure with its own OIDC exchange when AZURE_CLIENT_ID is set."""
    return "AZURE_CLIENT_ID" in (job.get("env") or {})


def test_there_are_the_three_workflows_and_the_action() -> None:
    assert {p.name for p in WORKFLOWS} >= {"renew.yml", "plan.yml", "ci.yml"}
    assert ACTION.is_file()


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_every_remote_action_is_pinned_by_sha_with_a_version_comment(path: Path) -> None:
    parsed = [s["uses"] for s in _steps(path) if "uses" in s]
    if path != ACTION:
        parsed += [j["uses"] for j in _jobs(_load(path)).values() if "uses" in j]
    lines = [m for line in path.read_text().splitlines() if (m := USES_LINE.match(line))]
    assert sorted(m["ref"] for m in lines) == sorted(parsed), "every uses: on its own line"
    for match in lines:
        ref = match["ref"]
        if ref.startswith("./"):
            continue  # this repository's own action, at the checked-out commit
        assert not ref.startswith("docker://"), f"{path.name}: {ref}: pin a digest instead"
        assert PINNED.match(ref), f"{path.name}: {ref} is not pinned to a 40-hex commit"
        assert VERSION_COMMENT.search(match["rest"]), f"{path.name}: {ref} lacks '# vX.Y.Z'"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_no_expressions_inside_run_scripts(path: Path) -> None:
    for step in _steps(path):
        script = step.get("run")
        if script is None:
            continue
        assert not FORBIDDEN_IN_RUN.search(script), f"{path.name}: {script!r}"
        # Stricter than the rule: no ${{ }} at all; values reach scripts through env:.
        assert "${{" not in script, f"{path.name}: pass values through env:, not {script!r}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_least_privilege_permissions(path: Path) -> None:
    workflow = _load(path)
    assert "permissions" in workflow, f"{path.name}: no top-level permissions"
    top = _grants(workflow["permissions"])
    assert set(top.values()) <= {"read", "none"}, f"{path.name}: top-level grants {top}"
    for name, job in _jobs(workflow).items():
        assert "permissions" in job, f"{path.name}: job {name} has no permissions block"
        grants = _grants(job["permissions"])
        assert "*" not in grants, f"{path.name}: job {name} uses read-all/write-all"
        writes = {scope for scope, level in grants.items() if level == "write"}
        if grants.get("id-token") == "write" and _publishes_with_oidc(job):
            assert not _uses_azure(job), f"{path.name}: job {name} mixes Azure and publishing"
            assert writes <= {"id-token", "attestations"}, f"{path.name}: {name} writes {writes}"
        elif grants.get("id-token") == "write":
            assert _uses_azure(job), f"{path.name}: job {name} has id-token but no Azure"
            assert writes == {"id-token"}, f"{path.name}: Azure job {name} also writes {writes}"
        else:
            assert not _uses_azure(job), f"{path.name}: job {name} uses Azure without id-token"
        if writes & WRITE_SCOPES_FOR_REPORTING:
            assert "AZURE_CLIENT_ID" not in str(job), f"{path.name}: {name} mixes roles"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_concurrency_never_cancels_a_run_in_progress(path: Path) -> None:
    workflow = _load(path)
    groups = [workflow.get("concurrency")] + [
        job.get("concurrency") for job in _jobs(workflow).values()
    ]
    assert workflow.get("concurrency"), f"{path.name}: no concurrency group"
    for group in groups:
        if isinstance(group, dict):
            assert group.get("cancel-in-progress") is False, f"{path.name}: {group}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_python_dependencies_are_installed_with_hashes(path: Path) -> None:
    for step in _steps(path):
        script = (step.get("run") or "").replace("\\\n", " ")
        for command in re.findall(r"pip install[^\n]*", script):
            assert "--require-hashes" in command, f"{path.name}: {command!r}"


# -- the renew workflow ------------------------------------------------------------
def test_renew_triggers() -> None:
    triggers = _on(_load(REPO / ".github" / "workflows" / "renew.yml"))
    crons = [entry["cron"] for entry in triggers["schedule"]]
    runs_per_day = sum(len(c.split()[1].split(",")) for c in crons)
    assert runs_per_day == 2, crons
    for cron in crons:
        minute = cron.split()[0]
        assert minute.isdigit() and int(minute) not in (0, 30), f"{cron}: off the hour"
    inputs = triggers["workflow_dispatch"]["inputs"]
    assert set(inputs) >= {"only", "force", "staging", "dry_run"}
    assert inputs["force"]["type"] == inputs["dry_run"]["type"] == "boolean"
    assert triggers["push"]["branches"] == ["main"]
    assert set(triggers["push"]["paths"]) == {"certificates.yaml", "certificates.staging.yaml"}


def test_renew_is_sharded_and_reported_once() -> None:
    jobs = _jobs(_load(REPO / ".github" / "workflows" / "renew.yml"))
    renew = jobs["renew"]
    assert "matrix" in renew["strategy"] and renew["strategy"]["fail-fast"] is False
    shard_input = next(s["with"]["shard"] for s in renew["steps"] if s.get("uses") == "./")
    # The total travels with the matrix entry: strategy.job-total counts both files' shards.
    assert shard_input == "${{ matrix.shard }}/${{ matrix.total }}"
    commands = [s["with"]["command"] for s in jobs["report"]["steps"] if s.get("uses") == "./"]
    assert commands == ["merge", "publish"]
    assert "!cancelled()" in jobs["report"]["if"]
    assert sum(1 for job in jobs.values() if "issues" in _grants(job["permissions"])) == 1


def test_doctor_runs_by_hand_with_the_renewal_identity_and_renews_nothing() -> None:
    workflow = _load(REPO / ".github" / "workflows" / "renew.yml")
    assert _on(workflow)["workflow_dispatch"]["inputs"]["doctor"]["type"] == "boolean"
    jobs = _jobs(workflow)
    doctor = jobs["doctor"]
    assert "workflow_dispatch" in doctor["if"] and "inputs.doctor" in doctor["if"]
    assert _grants(doctor["permissions"]) == {"contents": "read", "id-token": "write"}
    assert [s["with"]["command"] for s in doctor["steps"] if s.get("uses") == "./"] == ["doctor"]
    assert "!inputs.doctor" in jobs["prepare"]["if"]  # renew, report need prepare
    assert "doctor)" in ACTION.read_text()


def test_a_run_started_by_hand_asks_the_ca_for_its_current_windows() -> None:
    """An emergency dispatch must not plan from windows remembered up to a day ago."""
    jobs = _jobs(_load(REPO / ".github" / "workflows" / "renew.yml"))
    (step,) = [s for s in jobs["renew"]["steps"] if s.get("uses") == "./"]
    assert step["with"]["refresh-renewal-info"] == (
        "${{ github.event_name == 'workflow_dispatch' }}"
    )
    action = _load(ACTION)
    assert action["inputs"]["refresh-renewal-info"]["default"] == "false"
    script = ACTION.read_text()
    assert 'RENEWER_REFRESH" = "true" ]; then selection+=(--refresh-renewal-info)' in script


# -- the plan workflow -------------------------------------------------------------
FORK_GUARD = "github.event.pull_request.head.repo.full_name == github.repository"


def test_plan_runs_on_pull_requests_and_forks_only_validate() -> None:
    workflow = _load(REPO / ".github" / "workflows" / "plan.yml")
    triggers = _on(workflow)
    assert set(triggers) == {"pull_request"}, "never pull_request_target"
    assert "certificates.yaml" in triggers["pull_request"]["paths"]
    for name, job in _jobs(workflow).items():
        grants = _grants(job["permissions"])
        privileged = any(level == "write" for level in grants.values())
        if privileged:
            assert FORK_GUARD in str(job.get("if", "")), f"job {name} must skip forks"
        else:
            assert set(grants) <= {"contents"}, f"job {name}: {grants}"
    validate = _jobs(workflow)["validate"]
    assert "if" not in validate, "validation runs for forks too"


def test_plan_comment_job_runs_base_branch_code() -> None:
    jobs = _jobs(_load(REPO / ".github" / "workflows" / "plan.yml"))
    checkout = next(s for s in jobs["comment"]["steps"] if "checkout" in s.get("uses", ""))
    assert checkout["with"]["ref"] == "${{ github.event.pull_request.base.sha }}"


# -- the composite action ------------------------------------------------------------
def test_action_is_composite_with_the_documented_inputs() -> None:
    action = _load(ACTION)
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) >= {
        "config",
        "command",
        "only",
        "force",
        "dry-run",
        "python-version",
    }
    for step in action["runs"]["steps"]:
        if "run" in step:
            assert step.get("shell") == "bash"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_checkout_never_persists_credentials(path: Path) -> None:
    for step in _steps(path):
        if "actions/checkout@" in step.get("uses", ""):
            assert step.get("with", {}).get("persist-credentials") is False, path.name
