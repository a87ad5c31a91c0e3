"""Every command action.yml offers runs green through the steps whose ``if:`` admits it.

The composite action is run step by step as the runner runs it (tests/rig/gha_run.py:
conditions evaluated, each admitted ``run:`` script executed by bash with the step's
``env:``), with ``python`` stubbed: what matters here is which renewer command each
action command reaches, and that nothing else fails on the way. The keepalive command
once passed the non-token step's condition and died in its ``*)`` branch, so every
renew run ended red; a test reading the YAML never saw it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from rig.gha_run import REPO, Runner, StepResult

ACTION = yaml.safe_load((REPO / "action.yml").read_text())
GITHUB = {
    "event_name": "schedule",
    "repository": "contoso/certificates",
    "run_id": "7",
    "token": "stub-token",
    "action_path": str(REPO),
}
# action command -> the renewer command line it must reach (its first words).
EXPECTED = {
    "validate": ["validate"],
    "plan": ["plan"],
    "renew": ["renew"],
    "merge": ["report", "merge"],
    "publish": ["report", "publish"],
    "comment": ["report", "comment"],
    "keepalive": ["report", "keepalive"],
    "doctor": ["doctor"],
    "verify": ["verify"],
}
# Inputs a command needs to be meaningful (the workflows pass them).
NEEDS = {"comment": {"pull-request": "7"}}


def offered() -> list[str]:
    """The commands action.yml's ``command`` input documents (``a | b (…) | c``)."""
    text = " ".join(str(ACTION["inputs"]["command"]["description"]).split())
    return [part.strip().split()[0] for part in text.split(" | ")]


@pytest.fixture
def runner() -> Iterator[Runner]:
    made = Runner()
    yield made
    made.close()


def _run(runner: Runner, command: str, tmp_path: Path, **inputs: str) -> list[StepResult]:
    return runner.run_action(
        {"command": command, **NEEDS.get(command, {}), **inputs}, GITHUB, tmp_path
    )


def test_the_documented_commands_are_exactly_the_tested_ones() -> None:
    assert offered() == list(EXPECTED), "a new command needs a row in EXPECTED (and a step)"


@pytest.mark.parametrize("command", list(EXPECTED))
def test_every_command_runs_green_through_its_own_steps(
    runner: Runner, tmp_path: Path, command: str
) -> None:
    steps = _run(runner, command, tmp_path)
    failed = [f"{s.name}: {s.stdout}{s.stderr}" for s in steps if s.outcome == "failure"]
    assert not failed, failed
    calls = runner.invocations()
    assert len(calls) == 1, calls  # exactly one renewer command: no step runs twice
    (call,) = calls
    assert call[: len(EXPECTED[command])] == EXPECTED[command], call
    ran = [s.name for s in steps if s.outcome == "success" and s.name.startswith("renewer")]
    assert len(ran) == 1, ran
    assert not any("unknown command" in s.stdout + s.stderr for s in steps)


def test_an_unknown_command_fails_loudly(runner: Runner, tmp_path: Path) -> None:
    steps = _run(runner, "renw", tmp_path)
    (failed,) = [s for s in steps if s.outcome == "failure"]
    assert "::error title=renewer::unknown command 'renw'" in failed.stdout
    assert runner.invocations() == []


@pytest.mark.parametrize("command", ["publish", "comment", "keepalive"])
def test_only_the_token_commands_see_the_github_token(
    runner: Runner, tmp_path: Path, command: str
) -> None:
    """The token reaches the one step that needs it; every other step's env lacks it."""
    for step in ACTION["runs"]["steps"]:
        env = step.get("env", {})
        if "GITHUB_TOKEN" in env:
            assert f"'{command}'" in str(step["if"])
    steps = _run(runner, command, tmp_path)
    assert [s.outcome for s in steps if s.name.startswith("renewer")].count("success") == 1


def test_selection_inputs_become_options(runner: Runner, tmp_path: Path) -> None:
    _run(
        runner,
        "renew",
        tmp_path,
        only="a, b",
        force="true",
        **{"dry-run": "true", "shard": "2/3", "refresh-renewal-info": "true"},
    )
    (call,) = runner.invocations()
    assert call[:3] == ["renew", "-c", "certificates.yaml"]
    assert call.count("--only") == 2 and "a" in call and "b" in call
    for flag in ("--force", "--dry-run", "--refresh-renewal-info"):
        assert flag in call
    assert call[call.index("--shard") + 1] == "2/3"


def test_verify_takes_only_the_names_and_writes_the_summary(runner: Runner, tmp_path: Path) -> None:
    _run(runner, "verify", tmp_path, only="www", force="true", summary="verify.md")
    (call,) = runner.invocations()
    assert call == [
        "verify",
        "-c",
        "certificates.yaml",
        "--only",
        "www",
        "--format",
        "markdown",
        "-o",
        "verify.md",
    ]


def test_a_failing_renewer_fails_the_action(tmp_path: Path) -> None:
    runner = Runner(fail=("validate",))
    try:
        steps = runner.run_action({"command": "validate"}, GITHUB, tmp_path)
    finally:
        runner.close()
    ran = [s.outcome for s in steps if s.name.startswith("renewer") and s.outcome != "skipped"]
    assert ran == ["failure"]


def test_python_never_imports_from_the_callers_repository() -> None:
    """Every step that runs Python sets PYTHONSAFEPATH (cwd is the user's repository)."""
    for step in ACTION["runs"]["steps"]:
        if "run" in step and re.search(r"\bpython\b", step["run"]):
            assert step["env"].get("PYTHONSAFEPATH") == "1", step["name"]
