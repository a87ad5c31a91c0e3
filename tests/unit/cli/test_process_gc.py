"""The process entry point pauses the collector for imports only (issue 17)."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from renewer.core.collector import collector_paused

REPO = Path(__file__).resolve().parents[3]

# A command registered on the group, run through run() as the console script does.
PROBE = """
import gc, json, sys
import click
from renewer.cli.main import main, run

@main.command("probe-gc")
def probe() -> None:
    click.echo(json.dumps({"enabled": gc.isenabled(), "frozen": gc.get_freeze_count()}))

sys.argv = ["renewer", "probe-gc"]
run()
"""


def test_a_command_runs_with_the_collector_on_and_the_start_up_frozen() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, check=False
    )
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["enabled"] is True  # a long run still collects its cycles
    assert seen["frozen"] > 10_000  # the imported modules' objects are out of its way


def test_collector_paused_restores_the_collector_even_on_error() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_collector_paused_leaves_a_callers_pause_alone() -> None:
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the caller paused it; the caller resumes it
    finally:
        gc.enable()
