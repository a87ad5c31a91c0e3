"""Run the real CLI as a subprocess and write configs for it.

Integration tests go through ``python -m renewer`` so they exercise exactly
what users run: argument parsing, exit codes, stdout/stderr separation.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 240) -> CliResult:
    """The CLI as a subprocess; no run may print a Python traceback (issue 12)."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    full_env.pop("GITHUB_ACTIONS", None)
    proc = subprocess.run(
        [sys.executable, "-m", "renewer", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        cwd=REPO,
    )
    assert "Traceback (most recent call last)" not in proc.stderr, proc.stderr
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def write_config(path: Path, config: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def plan_json(config: Path, *extra: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    result = run_cli("plan", "-c", str(config), "--format", "json", *extra, env=env)
    assert result.code == 0, result.output
    body: dict[str, Any] = json.loads(result.stdout)
    return body


def actions(plan: dict[str, Any]) -> dict[str, str]:
    return {c["name"]: c["action"] for c in plan["certificates"]}


def plan_at(cfg: Path, moment: datetime, fmt: str, env: dict[str, str]) -> CliResult:
    """``renewer plan --format FMT`` as a run at ``moment`` would print it.

    The app's clock is moved in a child process (``renewer.app.datetime``), so a
    certificate's later runs are planned without waiting for them.
    """
    code = (
        "import sys, datetime as d\nimport renewer.app, renewer.cli\n"
        f"shift = d.datetime.fromisoformat({moment.isoformat()!r}) - d.datetime.now(d.UTC)\n"
        "class Clock(d.datetime):\n"
        "    @classmethod\n"
        "    def now(cls, tz=None):\n"
        "        return d.datetime.now(tz) + shift\n"
        "renewer.app.datetime = Clock\n"
        f"sys.argv = ['renewer', 'plan', '-c', sys.argv[1], '--format', {fmt!r}]\n"
        "renewer.cli.main()\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(cfg)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO), **env},
        timeout=60,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return CliResult(proc.returncode, proc.stdout, proc.stderr)
