"""A new user's first hour: the prerequisite checks say exactly what is missing.

`make demo` and `make test` run scripts/venv.sh and scripts/install-rig.sh `check` first;
these tests run them against stub `go`/`python3`/`id` commands on a bare PATH (the
machine's own tools are newer and complete, so only stubs can model Debian 12's Go 1.19,
a Python without python3-venv, or a non-root user without BIND), and check the first line
of what a user sees. The real non-root run is .ci/run's demo step.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
BASH = shutil.which("bash") or "/bin/bash"


def _stub(directory: Path, name: str, body: str) -> None:
    path = directory / name
    path.write_text(f"#!{BASH}\n{body}\n")
    path.chmod(0o755)


def _go_stub(directory: Path, version: str) -> None:
    """A `go` that answers `go env GOVERSION` / `go env GOTOOLCHAIN` like Go `version`."""
    _stub(
        directory,
        "go",
        f'case "$1 $2" in\n'
        f'  "env GOVERSION") echo "go{version}" ;;\n'
        f'  "env GOTOOLCHAIN") echo "${{GOTOOLCHAIN:-local}}" ;;\n'
        f'  *) echo "stub go: $*" >&2; exit 3 ;;\n'
        f"esac",
    )


def _run(script: str, *args: str, path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BASH, str(REPO / "scripts" / script), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={
            "PATH": str(path),
            "HOME": str(path),
            "RIG_GO_FALLBACK": "/nonexistent/go",
            "RIG_SBIN_DIRS": "/nonexistent",
            "RIG_FS_ROOT": "/nonexistent",
            **env,
        },
    )


def _first_line(proc: subprocess.CompletedProcess[str]) -> str:
    return (proc.stderr or proc.stdout).splitlines()[0]


def test_missing_go_is_the_first_line(tmp_path: Path) -> None:
    proc = _run("install-rig.sh", "check", "demo", path=tmp_path)
    assert proc.returncode == 1
    line = _first_line(proc)
    assert line.startswith("install-rig: ERROR: Go not found"), line
    assert "Go >= 1.25.0" in line and "https://go.dev/dl" in line, line


def test_debian_go_119_is_too_old_to_fetch_its_own(tmp_path: Path) -> None:
    _go_stub(tmp_path, "1.19.8")
    proc = _run("install-rig.sh", "check", "demo", path=tmp_path)
    assert proc.returncode == 1
    line = _first_line(proc)
    assert "Go 1.19.8" in line and "older than the Go 1.25.0 Pebble v2.10.3 needs" in line
    assert "cannot fetch" in line and "https://go.dev/dl" in line, line


def test_go_122_is_told_about_gotoolchain(tmp_path: Path) -> None:
    _go_stub(tmp_path, "1.22.1")
    proc = _run("install-rig.sh", "check", "demo", path=tmp_path, GOTOOLCHAIN="local")
    assert proc.returncode == 1
    line = _first_line(proc)
    assert "Go 1.22.1" in line and "GOTOOLCHAIN=auto make demo" in line, line
    assert "GOTOOLCHAIN is now 'local'" in line, line


def test_go_122_with_gotoolchain_auto_goes_ahead(tmp_path: Path) -> None:
    _go_stub(tmp_path, "1.22.1")
    proc = _run("install-rig.sh", "check", "demo", path=tmp_path, GOTOOLCHAIN="auto")
    assert proc.returncode == 0, proc.stderr
    assert "go fetches go1.25.0 itself" in proc.stdout


@pytest.mark.parametrize("version", ["1.25.0", "1.26.8", "1.30rc1"])
def test_new_enough_go_passes_silently(tmp_path: Path, version: str) -> None:
    _go_stub(tmp_path, version)
    proc = _run("install-rig.sh", "check", "demo", path=tmp_path)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


def test_non_root_make_test_names_the_missing_debian_packages(tmp_path: Path) -> None:
    _go_stub(tmp_path, "1.26.8")
    _stub(tmp_path, "id", "echo 1000")
    _stub(tmp_path, "dig", "exit 0")  # bind9-dnsutils present, the rest missing
    proc = _run("install-rig.sh", "check", "test", path=tmp_path)
    assert proc.returncode == 1
    line = _first_line(proc)
    wanted = "bind9 bind9-utils shellcheck nginx-light pdns-server pdns-backend-sqlite3"
    assert f"not installed: {wanted};" in line, line
    assert f"apt-get install -y {wanted}" in line, line
    # the demo needs none of them
    assert _run("install-rig.sh", "check", "demo", path=tmp_path).returncode == 0


def test_root_make_test_goes_on_to_apt_get(tmp_path: Path) -> None:
    _go_stub(tmp_path, "1.26.8")
    _stub(tmp_path, "id", "echo 0")
    proc = _run("install-rig.sh", "check", "test", path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "will apt-get install: bind9 bind9-utils bind9-dnsutils shellcheck" in proc.stdout


def test_python_without_venv_names_python3_venv(tmp_path: Path) -> None:
    # Debian's python3 without the python3-venv package: `import ensurepip` fails.
    _stub(
        tmp_path,
        "python3",
        'case "$2" in\n'
        "  *ensurepip*) exit 1 ;;\n"
        "  *version_info\\ \\<*) exit 0 ;;\n"
        "  *) echo 3.11 ;;\n"
        "esac",
    )
    proc = _run("venv.sh", "check", path=tmp_path, PYTHON="python3")
    assert proc.returncode == 1
    line = _first_line(proc)
    assert "has no venv/ensurepip module" in line, line
    assert "apt-get install -y python3-venv" in line and "python3.11-venv" in line, line


def test_old_python_is_refused_by_version(tmp_path: Path) -> None:
    _stub(tmp_path, "python3", 'case "$2" in *version_info\\ \\<*) exit 1 ;; *) echo 3.9 ;; esac')
    proc = _run("venv.sh", "check", path=tmp_path, PYTHON="python3")
    assert proc.returncode == 1
    assert "is Python 3.9; renewer needs >= 3.11" in _first_line(proc)


def test_this_machines_python_passes_the_check() -> None:
    proc = subprocess.run(
        [BASH, str(REPO / "scripts" / "venv.sh"), "check"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHON": sys.executable},
    )
    assert (proc.returncode, proc.stderr) == (0, "")


def test_local_example_validates_in_a_fresh_clone(tmp_path: Path) -> None:
    # A fresh clone has no .local/ (the demo's output): copy the example where none is.
    (tmp_path / "examples").mkdir()
    shutil.copy(REPO / "examples" / "local.yaml", tmp_path / "examples" / "local.yaml")
    proc = subprocess.run(
        [sys.executable, "-m", "renewer", "validate", "-c", "examples/local.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "valid (3 certificates)" in proc.stdout + proc.stderr


def test_ci_runs_exactly_the_readme_test_command() -> None:
    readme = (REPO / "README.md").read_text()
    block = readme.split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["make demo", "make test"], commands
    ci = (REPO / ".ci" / "run").read_text()
    steps = [line.strip() for line in ci.splitlines() if line.strip().startswith("make ")]
    assert steps == ["make test"], steps
