"""A small runner for this repository's workflows and composite action, offline.

No GitHub runner can run here (act cannot fetch actions/checkout offline), and reading
the YAML is not enough: an ``if:`` that admits a command its script cannot handle looks
fine on the page. This runs what decides — job and step conditions (tests/rig/gha_expr),
matrices, job and step outputs, every ``run:`` script with bash as the runner starts it
(``bash --noprofile --norc -eo pipefail``) and the composite action ``uses: ./`` step by
step — and stands in for the rest: third-party actions succeed without doing anything,
and ``python`` is a stub that records its arguments (and fails for the renewer commands
a test names), so renewer's own behaviour stays with the tests that run it for real.

Contexts follow GitHub's "Contexts reference": ``github`` (event_name, event, repository,
run_id, action_path, token, workspace), ``inputs`` (workflow_dispatch only: its defaults
and the given values), ``vars``, ``needs`` (result, outputs), ``matrix``, ``strategy``
(job-index, job-total), ``steps`` (outputs, outcome, conclusion) and ``env``.
"""

from __future__ import annotations

import itertools
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .gha_expr import Context, Status, condition, interpolate, to_string

REPO = Path(__file__).resolve().parents[2]
STUB = """#!/usr/bin/env bash
# python, as the workflows' steps call it: records argv (fields split by \\x1f).
printf '%s\\x1f' "$@" >> "$STUB_LOG"; printf '\\n' >> "$STUB_LOG"
if [ "${1:-}" = "-m" ] && [ "${2:-}" = "renewer" ]; then
  # STUB_FAIL: words COMMAND or COMMAND@CONFIG (fails only when given -c CONFIG).
  for fail in ${STUB_FAIL:-}; do
    if [ "${3:-}" != "${fail%%@*}" ]; then continue; fi
    if [ "$fail" = "${fail%%@*}" ] || [[ " $* " == *" -c ${fail#*@} "* ]]; then
      echo "stub: renewer $3 failed" >&2; exit 2
    fi
  done
  # Writes the files it is asked for, as renewer does (-o, --summary, --report).
  previous=""
  for arg in "$@"; do
    case "$previous" in -o|--summary|--report) echo "stub output of renewer $3" > "$arg" ;; esac
    previous="$arg"
  done
fi
exit 0
"""


@dataclass
class StepResult:
    name: str
    outcome: str  # success | failure | skipped
    stdout: str = ""
    stderr: str = ""
    with_: dict[str, Any] = field(default_factory=dict)
    action: list[StepResult] = field(default_factory=list)  # a `uses: ./` step's own steps


@dataclass
class JobResult:
    result: str  # success | failure | skipped
    outputs: dict[str, str] = field(default_factory=dict)
    runs: list[list[StepResult]] = field(default_factory=list)  # one per matrix entry
    matrices: list[dict[str, Any]] = field(default_factory=list)


def _triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    triggers = workflow.get("on", workflow.get(True))
    return dict(triggers) if isinstance(triggers, dict) else {}


def _outputs(path: Path) -> dict[str, str]:
    """``key=value`` and ``key<<DELIM`` blocks, as the runner reads $GITHUB_OUTPUT."""
    found: dict[str, str] = {}
    lines = path.read_text().splitlines() if path.exists() else []
    index = 0
    while index < len(lines):
        line = lines[index]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, delimiter = line.split("<<", 1)
            body = []
            index += 1
            while lines[index] != delimiter:
                body.append(lines[index])
                index += 1
            found[key] = "\n".join(body)
        elif "=" in line:
            key, value = line.split("=", 1)
            found[key] = value
        index += 1
    return found


def _hash_files(workspace: Path) -> Callable[[list[str]], str]:
    """hashFiles(): '' when no file matches (all the workflows ask), else a stand-in hash."""

    def hash_files(patterns: list[str]) -> str:
        return "matched" if any(any(workspace.glob(p)) for p in patterns) else ""

    return hash_files


class Runner:
    """One simulated run at a time; ``invocations()`` lists what the stub python saw."""

    def __init__(
        self,
        files: dict[str, str] | None = None,
        variables: dict[str, str] | None = None,
        fail: tuple[str, ...] = (),
        python: Path | None = None,
    ) -> None:
        """``python``: a real interpreter for the steps instead of the recording stub; the
        action's install step is then stood in for (its packages are that python's)."""
        self.root = Path(tempfile.mkdtemp(prefix="gha-"))
        self.real_python = python
        self.files = files if files is not None else {"certificates.yaml": "certificates: []\n"}
        self.variables = variables or {}
        self.fail = fail
        self.bin = self.root / "bin"
        self.bin.mkdir()
        stub = self.bin / "python"
        if python is not None:
            stub.symlink_to(python)
        else:
            stub.write_text(STUB)
            stub.chmod(0o755)
        self.log = self.root / "python.log"
        self.action = yaml.safe_load((REPO / "action.yml").read_text())

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def invocations(self) -> list[list[str]]:
        """Every ``python -m renewer …`` call of the run, its arguments after ``renewer``."""
        calls = []
        for line in self.log.read_text().splitlines() if self.log.exists() else []:
            argv = line.split("\x1f")[:-1]
            if argv[:2] == ["-m", "renewer"]:
                calls.append(argv[2:])
        return calls

    # -- the composite action ---------------------------------------------------------
    def run_action(
        self, given: dict[str, Any], github: dict[str, Any], workspace: Path
    ) -> list[StepResult]:
        context = Context({"github": github, "inputs": {}, "env": {}, "vars": self.variables})
        inputs: dict[str, Any] = {}
        for name, spec in self.action["inputs"].items():
            default = interpolate(str(spec.get("default", "")), context)
            inputs[name] = to_string(given[name]) if name in given else to_string(default)
        unknown = set(given) - set(inputs)
        assert not unknown, f"inputs action.yml does not declare: {sorted(unknown)}"
        results: list[StepResult] = []
        failed = False
        for step in self.action["runs"]["steps"]:
            local = Context(
                {"github": github, "inputs": inputs, "env": {}}, Status(not failed, failed)
            )
            name = str(step.get("name", step.get("uses", "")))
            if not condition(step.get("if"), local):
                results.append(StepResult(name, "skipped"))
                continue
            installs = name.startswith("Install")
            if "run" not in step or (installs and self.real_python is not None):
                results.append(StepResult(name, "success"))
                continue
            env = {k: to_string(interpolate(v, local)) for k, v in step.get("env", {}).items()}
            result = self._bash(name, step["run"], env, workspace, github)
            failed = failed or result.outcome == "failure"
            results.append(result)
        return results

    def _bash(
        self, name: str, script: str, env: dict[str, str], workspace: Path, github: dict[str, Any]
    ) -> StepResult:
        base = {
            "PATH": f"{self.bin}:/usr/bin:/bin",
            "HOME": str(self.root),
            "LANG": "C.UTF-8",
            "STUB_LOG": str(self.log),
            "STUB_FAIL": " ".join(self.fail),
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": str(github.get("event_name", "")),
            "GITHUB_REPOSITORY": str(github.get("repository", "")),
            "GITHUB_RUN_ID": str(github.get("run_id", "")),
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_OUTPUT": str(workspace / ".output"),
            "GITHUB_STEP_SUMMARY": str(workspace / ".summary"),
        }
        (workspace / ".output").write_text("")
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            cwd=workspace,
            env={**base, **env},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        outcome = "success" if proc.returncode == 0 else "failure"
        return StepResult(name, outcome, proc.stdout, proc.stderr)

    # -- workflows --------------------------------------------------------------------
    def run_workflow(
        self,
        file: str,
        event: str,
        inputs: dict[str, Any] | None = None,
        payload: dict[str, Any] | None = None,
        run_id: int = 1000,
    ) -> dict[str, JobResult]:
        workflow = yaml.safe_load((REPO / ".github" / "workflows" / file).read_text())
        triggers = _triggers(workflow)
        assert event in triggers, f"{file} does not run on {event}"
        given: dict[str, Any] = {}
        if event == "workflow_dispatch":
            for name, spec in ((triggers[event] or {}).get("inputs") or {}).items():
                given[name] = spec.get("default", False if spec.get("type") == "boolean" else "")
            unknown = set(inputs or {}) - set(given)
            assert not unknown, f"{file} has no dispatch inputs {sorted(unknown)}"
            given.update(inputs or {})
        github = {
            "event_name": event,
            "event": payload or {},
            "repository": "contoso/certificates",
            "repository_owner": "contoso",
            "run_id": str(run_id),
            "ref": "refs/heads/main",
            "sha": "0" * 40,
            "token": "stub-token",
            "action_path": str(REPO),
        }
        jobs: dict[str, Any] = workflow["jobs"]
        results: dict[str, JobResult] = {}
        pending = list(jobs)
        while pending:
            for job_id in pending:
                needs = jobs[job_id].get("needs", [])
                needs = [needs] if isinstance(needs, str) else list(needs)
                if all(n in results for n in needs):
                    results[job_id] = self._job(jobs[job_id], needs, results, github, given)
                    pending.remove(job_id)
                    break
            else:
                raise AssertionError(f"{file}: jobs wait on each other: {pending}")
        return results

    def _job(
        self,
        job: dict[str, Any],
        needs: list[str],
        done: dict[str, JobResult],
        github: dict[str, Any],
        inputs: dict[str, Any],
    ) -> JobResult:
        needed = {n: {"result": done[n].result, "outputs": done[n].outputs} for n in needs}
        status = Status(
            success=all(done[n].result == "success" for n in needs),
            failure=any(done[n].result == "failure" for n in needs),
        )
        values = {"github": github, "inputs": inputs, "needs": needed, "vars": self.variables}
        if not condition(job.get("if"), Context(values, status)):
            return JobResult("skipped")
        matrices = self._matrix(job, Context(values))
        result = JobResult("success", matrices=matrices)
        for index, matrix in enumerate(matrices):
            strategy = {"job-index": index, "job-total": len(matrices)}
            steps, outputs = self._steps(job, {**values, "matrix": matrix, "strategy": strategy})
            result.runs.append(steps)
            result.outputs.update(outputs)
            if any(s.outcome == "failure" for s in steps):
                result.result = "failure"
        return result

    def _upload(self, name: str, with_: dict[str, Any], workspace: Path) -> StepResult:
        """actions/upload-artifact: the files ``path`` matches, kept under ``name``."""
        files = sorted(workspace.glob(to_string(with_["path"])))
        if not files and with_.get("if-no-files-found") == "error":
            return StepResult(name, "failure", stderr="no files found")
        store = self.root / "artifacts" / to_string(with_["name"])
        store.mkdir(parents=True, exist_ok=True)
        for file in files:
            shutil.copy(file, store / file.name)
        return StepResult(name, "success")

    def _download(self, name: str, with_: dict[str, Any], workspace: Path) -> StepResult:
        """actions/download-artifact: by ``name``, or every artifact ``pattern`` matches
        (into a folder per artifact unless ``merge-multiple``); a missing name fails."""
        target = workspace / to_string(with_.get("path") or ".")
        store = self.root / "artifacts"
        if with_.get("name"):
            found = [store / to_string(with_["name"])]
            if not found[0].is_dir():
                return StepResult(name, "failure", stderr="artifact not found")
        else:
            found = sorted(store.glob(to_string(with_.get("pattern") or "*")))
        for artifact in found:
            into = (
                target
                if with_.get("name") or with_.get("merge-multiple")
                else target / artifact.name
            )
            into.mkdir(parents=True, exist_ok=True)
            for file in artifact.iterdir():
                shutil.copy(file, into / file.name)
        return StepResult(name, "success")

    def _matrix(self, job: dict[str, Any], context: Context) -> list[dict[str, Any]]:
        spec = interpolate((job.get("strategy") or {}).get("matrix"), context)
        if not spec:
            return [{}]
        assert isinstance(spec, dict), spec
        include = list(spec.pop("include", []) or [])
        spec.pop("exclude", None)
        axes = [[(k, v) for v in values] for k, values in spec.items()]
        combos = [dict(c) for c in itertools.product(*axes)] if axes else []
        return combos + include if combos or include else [{}]

    def _steps(
        self, job: dict[str, Any], values: dict[str, Any]
    ) -> tuple[list[StepResult], dict[str, str]]:
        workspace = Path(tempfile.mkdtemp(dir=self.root, prefix="ws-"))
        for name, text in self.files.items():
            (workspace / name).write_text(text)
        github = {**values["github"], "workspace": str(workspace)}
        steps_ctx: dict[str, Any] = {}
        results: list[StepResult] = []
        failed = False
        env = {
            k: to_string(interpolate(v, Context({**values, "github": github})))
            for k, v in (job.get("env") or {}).items()
        }
        for step in job.get("steps", []):
            context = Context(
                {**values, "github": github, "steps": steps_ctx, "env": env},
                Status(not failed, failed),
                _hash_files(workspace),
            )
            name = str(step.get("name", step.get("uses", step.get("run", ""))))
            if not condition(step.get("if"), context):
                results.append(StepResult(name, "skipped"))
                if step.get("id"):
                    steps_ctx[step["id"]] = {
                        "outputs": {},
                        "outcome": "skipped",
                        "conclusion": "skipped",
                    }
                continue
            with_ = {k: interpolate(v, context) for k, v in (step.get("with") or {}).items()}
            outputs: dict[str, str] = {}
            if "run" in step:
                step_env = {
                    **env,
                    **{
                        k: to_string(interpolate(v, context))
                        for k, v in (step.get("env") or {}).items()
                    },
                }
                result = self._bash(name, step["run"], step_env, workspace, github)
                outputs = _outputs(workspace / ".output")
            elif step.get("uses") == "./":
                action = self.run_action(with_, github, workspace)
                failing = any(s.outcome == "failure" for s in action)
                result = StepResult(name, "failure" if failing else "success", action=action)
            elif str(step.get("uses", "")).startswith("actions/upload-artifact@"):
                result = self._upload(name, with_, workspace)
            elif str(step.get("uses", "")).startswith("actions/download-artifact@"):
                result = self._download(name, with_, workspace)
            else:
                result = StepResult(name, "success")
            result.with_ = with_
            results.append(result)
            failed = failed or (result.outcome == "failure" and not step.get("continue-on-error"))
            if step.get("id"):
                steps_ctx[step["id"]] = {
                    "outputs": outputs,
                    "outcome": result.outcome,
                    "conclusion": result.outcome,
                }
        final = Context({**values, "github": github, "steps": steps_ctx, "env": env})
        job_outputs = {
            k: to_string(interpolate(v, final)) for k, v in (job.get("outputs") or {}).items()
        }
        return results, job_outputs
