"""The composite action never imports Python code from the calling repository.

Its steps run in the user's checkout, and ``python -m renewer`` puts the working
directory first on sys.path: a ``yaml.py`` or a ``renewer/`` there (a pull request can add
one) would run in place of the real module with the job's identity. The action sets
``PYTHONSAFEPATH=1``; this runs its validate step with the real interpreter in a
repository that carries such modules, each of which would leave a mark if imported.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from rig.gha_run import REPO, Runner

pytestmark = pytest.mark.integration

GITHUB = {
    "event_name": "pull_request",
    "repository": "contoso/certificates",
    "action_path": str(REPO),
}
MARK = "import pathlib; pathlib.Path('IMPORTED-{name}').write_text('x')\n"
CONFIG = (REPO / "examples" / "local.yaml").read_text()


def test_modules_in_the_callers_root_are_never_imported(tmp_path: Path) -> None:
    (tmp_path / "yaml.py").write_text(MARK.format(name="yaml"))
    (tmp_path / "click.py").write_text(MARK.format(name="click"))
    (tmp_path / "renewer").mkdir()
    (tmp_path / "renewer" / "__init__.py").write_text(MARK.format(name="renewer"))
    (tmp_path / "renewer" / "__main__.py").write_text(MARK.format(name="renewer-main"))
    (tmp_path / "certificates.yaml").write_text(CONFIG)
    runner = Runner(python=Path(sys.executable))
    try:
        steps = runner.run_action(
            {"command": "validate", "config": "certificates.yaml"}, GITHUB, tmp_path
        )
    finally:
        runner.close()
    (step,) = [s for s in steps if s.name.startswith("renewer") and s.outcome != "skipped"]
    assert not list(tmp_path.glob("IMPORTED-*")), step.stdout + step.stderr
    assert step.outcome == "success", step.stdout + step.stderr
    assert "valid (3 certificates)" in step.stdout + step.stderr


def test_without_the_safe_path_the_callers_module_would_run(tmp_path: Path) -> None:
    """The check above can fail: the same layout, PYTHONSAFEPATH unset, imports the fake."""

    (tmp_path / "renewer").mkdir()
    (tmp_path / "renewer" / "__init__.py").write_text(MARK.format(name="renewer"))
    (tmp_path / "renewer" / "__main__.py").write_text("")
    subprocess.run(
        [sys.executable, "-m", "renewer", "--version"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)},
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert (tmp_path / "IMPORTED-renewer").exists()
