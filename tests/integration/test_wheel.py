"""The release artefacts work as a user installs them: version from the tag, a wheel that
validates and issues certificates with nothing from the checkout on its path.

Built the way release.yml builds (`uv build`, build tools hash-pinned from uv.lock's
`build` group), from a copy of the sources committed and tagged v9.8.7 in a scratch git
repository. Build tools and the runtime closure come from the package index the README's
set-up already uses (PyPI), or uv's cache when it has them: a fresh machine's cache is empty.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TAG = "v9.8.7"

pytestmark = pytest.mark.integration


def _run(argv: list[str], cwd: Path, **env: str) -> str:
    import os

    proc = subprocess.run(
        argv,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, **env},
    )
    assert proc.returncode == 0, f"{argv}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout + proc.stderr


def _tagged_copy(dest: Path) -> Path:
    """The working tree as git sees it (tracked and new, not ignored), committed and tagged."""
    files = _run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO
    ).split("\0")
    for name in filter(None, files):
        source = REPO / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.test"]
    _run([*git, "init", "-q"], cwd=dest)
    _run([*git, "add", "-A"], cwd=dest)
    _run([*git, "commit", "-q", "-m", "release"], cwd=dest)
    _run([*git, "tag", TAG], cwd=dest)
    return dest


def test_wheel_from_a_tag_installs_validates_and_runs_the_demo(tmp_path: Path) -> None:
    src = _tagged_copy(tmp_path / "src")
    uv = [sys.executable, "-m", "uv"]
    constraints = tmp_path / "build.txt"
    _run(
        [
            *uv,
            "export",
            "--frozen",
            "--only-group",
            "build",
            "--no-emit-project",
            "--quiet",
            "-o",
            str(constraints),
        ],
        cwd=src,
    )
    _run(
        [
            *uv,
            "build",
            "--build-constraints",
            str(constraints),
            "--require-hashes",
            "--out-dir",
            str(tmp_path / "dist"),
        ],
        cwd=src,
    )
    version = TAG.removeprefix("v")
    built = sorted(p.name for p in (tmp_path / "dist").iterdir() if p.name != ".gitignore")
    assert built == [f"renewer-{version}-py3-none-any.whl", f"renewer-{version}.tar.gz"], built
    with tarfile.open(tmp_path / "dist" / f"renewer-{version}.tar.gz") as sdist:
        assert f"renewer-{version}/renewer/schema/certificates.schema.json" in sdist.getnames()

    wheel = tmp_path / "dist" / f"renewer-{version}-py3-none-any.whl"
    out = _run(
        [
            sys.executable,
            str(REPO / "scripts" / "check_wheel.py"),
            str(wheel),
            "--venv",
            str(tmp_path / "venv"),
            "--with-dev",
        ],
        cwd=tmp_path,
    )
    assert f"renewer, version {version}" in out
    assert "examples/local.yaml: valid (3 certificates)" in out
    python = Path(out.strip().splitlines()[-1])
    assert python.is_relative_to(tmp_path / "venv")

    demo = _run(
        [str(python), str(REPO / "scripts" / "demo.py")],
        cwd=tmp_path,
        RENEWER_DEMO_DIR=str(tmp_path / "demo"),
        PYTHONPATH="",
    )
    assert f"renewer {version} from {tmp_path / 'venv'}" in demo, demo
    assert "Done: 3 succeeded, 0 failed" in demo, demo
    assert "Plan: 0 to issue, 0 to renew, 3 unchanged." in demo, demo
    for name in ("demo-example-test", "www-contoso-test", "api-fabrikam-test"):
        assert (tmp_path / "demo" / "certs" / name / "fullchain.pem").is_file()


def test_version_without_tags_or_metadata_falls_back(tmp_path: Path) -> None:
    # A bare copy of the package and no installed metadata (python -S: no site-packages).
    shutil.copytree(REPO / "renewer", tmp_path / "renewer")
    out = _run(
        [sys.executable, "-S", "-c", "import renewer; print(renewer.__version__)"],
        cwd=tmp_path,
        PYTHONPATH=str(tmp_path),
    )
    assert out.strip() == "0.0.0+unknown"


def test_version_in_a_checkout_without_tags(tmp_path: Path) -> None:
    out = _run([sys.executable, "-m", "renewer", "--version"], cwd=tmp_path, PYTHONPATH=str(REPO))
    assert out.startswith("renewer, version "), out
