"""renew.yml and plan.yml per event: which jobs run, what each reaches, and that it is green.

Runs the workflows with tests/rig/gha_run.py: job and step conditions evaluated as GitHub
evaluates them, matrices and outputs computed, every ``run:`` script executed, each
``uses: ./`` step run through action.yml, ``python`` stubbed (renewer's own behaviour is
tested against real servers elsewhere). Every event the workflows take is here: schedule,
push, workflow_dispatch with each input, pull_request from the repository and from a fork.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from rig.gha_expr import Context, interpolate
from rig.gha_run import REPO, JobResult, Runner

MAIN = "certificates:\n  - {name: www, domains: [www.example.test]}\n"
STAGING = "certificates:\n  - {name: www, domains: [www.example.test]}\n"
BOTH = {"certificates.yaml": MAIN, "certificates.staging.yaml": STAGING}


@pytest.fixture
def runners() -> Iterator[list[Runner]]:
    made: list[Runner] = []
    yield made
    for runner in made:
        runner.close()


def _runner(runners: list[Runner], **kwargs: Any) -> Runner:
    runner = Runner(**kwargs)
    runners.append(runner)
    return runner


def ran(jobs: dict[str, JobResult]) -> dict[str, str]:
    return {name: job.result for name, job in jobs.items()}


def commands(runner: Runner) -> list[tuple[str, ...]]:
    """The renewer commands of the run, with the config each was given."""
    found = []
    for call in runner.invocations():
        words = tuple(w for w in call if not w.startswith("-"))[:2]
        config = call[call.index("-c") + 1] if "-c" in call else ""
        found.append((*(words if words[0] == "report" else words[:1]), config))
    return found


def test_a_scheduled_run_renews_both_files_reports_each_and_keeps_the_schedule(
    runners: list[Runner],
) -> None:
    runner = _runner(runners, files=BOTH, variables={"RENEWER_SHARDS": "2"})
    jobs = runner.run_workflow("renew.yml", "schedule")
    assert ran(jobs) == {
        "doctor": "skipped",
        "prepare": "success",
        "renew": "success",
        "report": "success",
        "verify": "skipped",
        "keepalive": "success",
    }
    shards = sorted((m["config"], m["shard"], m["total"]) for m in jobs["renew"].matrices)
    assert shards == [
        ("certificates.staging.yaml", 1, 2),
        ("certificates.staging.yaml", 2, 2),
        ("certificates.yaml", 1, 2),
        ("certificates.yaml", 2, 2),
    ]
    calls = runner.invocations()
    renews = [c for c in calls if c[0] == "renew"]
    assert sorted(c[c.index("--shard") + 1] for c in renews) == ["1/2", "1/2", "2/2", "2/2"]
    assert "--refresh-renewal-info" not in renews[0]  # only a run by hand asks anew
    assert sorted(m["config"] for m in jobs["report"].matrices) == [
        "certificates.staging.yaml",
        "certificates.yaml",
    ]
    for wanted in ("merge", "publish"):
        configs = sorted(cfg for (*words, cfg) in commands(runner) if words[-1] == wanted)
        assert configs == ["certificates.staging.yaml", "certificates.yaml"], wanted
    assert ["report", "keepalive", "--workflow", "renew.yml"] in calls


def test_a_push_without_a_staging_file_renews_certificates_yaml_only(
    runners: list[Runner],
) -> None:
    runner = _runner(runners, files={"certificates.yaml": MAIN})
    jobs = runner.run_workflow("renew.yml", "push", payload={"ref": "refs/heads/main"})
    assert ran(jobs)["renew"] == ran(jobs)["report"] == ran(jobs)["keepalive"] == "success"
    assert {cfg for (*words, cfg) in commands(runner) if words == ["renew"]} == {
        "certificates.yaml"
    }


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        ({}, {"prepare", "renew", "report", "keepalive"}),
        ({"doctor": True}, {"doctor", "keepalive"}),
        ({"verify_only": True}, {"prepare", "verify", "keepalive"}),
        (
            {"dry_run": True, "force": True, "only": "www"},
            {"prepare", "renew", "report", "keepalive"},
        ),
        ({"staging": True}, {"prepare", "renew", "report", "keepalive"}),
    ],
    ids=["plain", "doctor", "verify_only", "dry_run-force-only", "staging"],
)
def test_a_dispatch_runs_the_jobs_its_inputs_ask_for(
    runners: list[Runner], inputs: dict[str, Any], expected: set[str]
) -> None:
    runner = _runner(runners, files=BOTH)
    jobs = runner.run_workflow("renew.yml", "workflow_dispatch", inputs)
    assert {n for n, r in ran(jobs).items() if r != "skipped"} == expected
    assert all(r in ("success", "skipped") for r in ran(jobs).values()), ran(jobs)
    calls = runner.invocations()
    config = "certificates.staging.yaml" if inputs.get("staging") else "certificates.yaml"
    if inputs.get("doctor"):
        assert ["doctor", "-c", "certificates.yaml", "--format", "markdown"] in calls
        assert not [c for c in calls if c[0] in ("renew", "validate")]
    elif inputs.get("verify_only"):
        assert [c[0] for c in calls if c[0] != "report"] == ["validate", "verify"]
    else:
        (renew,) = [c for c in calls if c[0] == "renew"]
        assert renew[renew.index("-c") + 1] == config
        assert "--refresh-renewal-info" in renew  # an emergency asks for current windows
        assert ("--dry-run" in renew) == bool(inputs.get("dry_run"))
        assert ("--force" in renew) == bool(inputs.get("force"))
        if inputs.get("only"):
            assert renew[renew.index("--only") + 1] == "www"
        assert {cfg for (*_w, cfg) in commands(runner) if _w[-1] == "publish"} == {config}


def test_a_broken_file_on_main_still_reaches_the_tracking_issue(runners: list[Runner]) -> None:
    runner = _runner(runners, files=BOTH, fail=("validate",))
    jobs = runner.run_workflow("renew.yml", "push")
    assert ran(jobs)["prepare"] == "failure"
    assert ran(jobs)["renew"] == "skipped"  # neither file validated: nothing to renew
    assert ran(jobs)["report"] == "success" and ran(jobs)["keepalive"] == "success"
    published = [(w, cfg) for (*w, cfg) in commands(runner) if w[-1] in ("merge", "publish")]
    assert sorted(published) == sorted(
        (["report", step], cfg)
        for step in ("merge", "publish")
        for cfg in ("certificates.yaml", "certificates.staging.yaml")
    )


def test_a_bad_shard_count_still_reports(runners: list[Runner]) -> None:
    runner = _runner(runners, variables={"RENEWER_SHARDS": "lots"})
    jobs = runner.run_workflow("renew.yml", "schedule")
    assert ran(jobs)["prepare"] == "failure" and ran(jobs)["renew"] == "skipped"
    (split,) = [s for s in jobs["prepare"].runs[0] if s.name == "Split into shards"]
    assert "RENEWER_SHARDS must be a number from 1 to 64, got 'lots'" in split.stdout
    assert ran(jobs)["report"] == "success"
    assert ("report", "publish", "certificates.yaml") in commands(runner)


def test_one_broken_file_does_not_stop_the_other(runners: list[Runner]) -> None:
    runner = _runner(runners, files=BOTH, fail=("validate@certificates.staging.yaml",))
    jobs = runner.run_workflow("renew.yml", "schedule")
    assert ran(jobs)["prepare"] == "failure"
    assert ran(jobs)["renew"] == "success"
    assert [m["config"] for m in jobs["renew"].matrices] == ["certificates.yaml"]
    assert {cfg for (*w, cfg) in commands(runner) if w[-1] == "publish"} == {
        "certificates.yaml",
        "certificates.staging.yaml",
    }


@pytest.mark.parametrize(
    ("head", "jobs_run"),
    [
        ("contoso/certificates", {"validate", "plan", "comment"}),
        ("mallory/certificates", {"validate"}),
    ],
    ids=["same-repository", "fork"],
)
def test_a_pull_request_validates_and_plans_every_certificates_file(
    runners: list[Runner], head: str, jobs_run: set[str]
) -> None:
    runner = _runner(runners, files=BOTH)
    payload = {
        "pull_request": {
            "number": 7,
            "head": {"repo": {"full_name": head}},
            "base": {"sha": "1" * 40},
        }
    }
    jobs = runner.run_workflow("plan.yml", "pull_request", payload=payload)
    assert {n for n, r in ran(jobs).items() if r == "success"} == jobs_run
    found = commands(runner)
    assert ("validate", "certificates.yaml") in found
    assert ("validate", "certificates.staging.yaml") in found
    if "plan" in jobs_run:
        assert ("plan", "certificates.yaml") in found
        assert ("plan", "certificates.staging.yaml") in found
        comment = [c for c in runner.invocations() if c[:2] == ["report", "comment"]]
        assert comment == [["report", "comment", "--pull-request", "7", "--body-file", "plan.md"]]
    else:
        assert not [c for c in found if c[0] == "plan"]


def test_a_change_to_either_file_triggers_plan_and_renew() -> None:
    for file, event in (("plan.yml", "pull_request"), ("renew.yml", "push")):
        workflow = yaml.safe_load((REPO / ".github" / "workflows" / file).read_text())
        paths = workflow.get("on", workflow.get(True))[event]["paths"]
        assert {"certificates.yaml", "certificates.staging.yaml"} <= set(paths), file


def _group(event: str, run_id: int) -> str:
    workflow = yaml.safe_load((REPO / ".github/workflows/renew.yml").read_text())
    github = {"event_name": event, "run_id": str(run_id), "repository": "contoso/certificates"}
    value = interpolate(workflow["concurrency"]["group"], Context({"github": github, "inputs": {}}))
    assert workflow["concurrency"]["cancel-in-progress"] is False
    return str(value)


def test_a_queued_dispatch_is_never_cancelled_by_a_scheduled_run() -> None:
    """GitHub cancels the older *pending* run of a group when a newer one queues
    (docs: "Control the concurrency of workflows and jobs"): a dispatch must share its
    group with nothing, while scheduled and push runs may replace each other."""
    scheduled = {_group("schedule", 1), _group("schedule", 2), _group("push", 3)}
    assert len(scheduled) == 1
    dispatches = {_group("workflow_dispatch", 4), _group("workflow_dispatch", 5)}
    assert len(dispatches) == 2 and not dispatches & scheduled
    for group in scheduled | dispatches:
        assert group.startswith("renewer-renew-contoso/certificates-")
