"""uv.lock is the project's one dependency lock: made by `uv lock`, never by hand.

It must match pyproject.toml (`uv lock --check`, offline: a static comparison), cover
every CPython from 3.11 to 3.14 on the runners users have (Linux x86_64/arm64, macOS,
Windows) with hashed wheels, and be what action.yml and CI install from.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.markers import Marker

REPO = Path(__file__).resolve().parents[3]
LOCK = tomllib.loads((REPO / "uv.lock").read_text())
PLATFORMS = {
    "linux x86_64": re.compile(r"(manylinux|musllinux)[\w.]*_x86_64"),
    "linux arm64": re.compile(r"(manylinux|musllinux)[\w.]*_aarch64"),
    "macos arm64": re.compile(r"macosx_[\w.]*(arm64|universal2)"),
    "windows x64": re.compile(r"win_amd64"),
}
# Intel macOS is left out on purpose: cryptography 50 ships no macosx x86_64 wheel, so
# there pip builds it from the sdist (needs Rust). GitHub's macOS runners are arm64.
PYTHONS = (11, 12, 13, 14)
MARKER_ENV = {  # what packaging's markers see on each platform
    "linux x86_64": {
        "sys_platform": "linux",
        "platform_system": "Linux",
        "platform_machine": "x86_64",
    },
    "linux arm64": {
        "sys_platform": "linux",
        "platform_system": "Linux",
        "platform_machine": "aarch64",
    },
    "macos arm64": {
        "sys_platform": "darwin",
        "platform_system": "Darwin",
        "platform_machine": "arm64",
    },
    "windows x64": {
        "sys_platform": "win32",
        "platform_system": "Windows",
        "platform_machine": "AMD64",
    },
}


def _needed_on(name: str, platform: str, minor: int) -> bool:
    """Whether any dependency edge to ``name`` applies on this platform (pywin32: Windows only)."""
    env = {
        **MARKER_ENV[platform],
        "python_version": f"3.{minor}",
        "python_full_version": f"3.{minor}.0",
    }
    edges = [
        dep
        for package in LOCK["package"]
        for group in (
            package.get("dependencies", []),
            *package.get("optional-dependencies", {}).values(),
            *package.get("dev-dependencies", {}).values(),
        )
        for dep in group
        if dep["name"] == name
    ]
    return not edges or any(
        "marker" not in dep or Marker(dep["marker"]).evaluate(env) for dep in edges
    )


def _uv(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "uv", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_lock_matches_pyproject() -> None:
    proc = _uv("lock", "--check", "--offline")
    assert proc.returncode == 0, f"uv.lock is stale: run `make lock`\n{proc.stderr}"


def test_a_stale_lock_is_caught(tmp_path: Path) -> None:
    # The check above can fail: a dependency added to pyproject.toml without `make lock`.
    for name in ("pyproject.toml", "uv.lock", "README.md"):
        shutil.copy(REPO / name, tmp_path / name)
    (tmp_path / "renewer").mkdir()
    pyproject = tmp_path / "pyproject.toml"
    text = pyproject.read_text()
    pyproject.write_text(
        text.replace('    "click>=8.1",\n', '    "click>=8.1",\n    "rich>=13",\n')
    )
    assert pyproject.read_text() != text
    # Not --offline: resolving the new requirement needs the package index (PyPI, which
    # `make setup` already uses); uv's cache may be empty on a fresh machine.
    proc = _uv("lock", "--check", cwd=tmp_path)
    assert proc.returncode != 0
    assert "rich" in proc.stderr or "needs to be updated" in proc.stderr, proc.stderr


def _wheel_fits(filename: str, minor: int, platform: re.Pattern[str]) -> bool:
    _name, _version, *rest = filename.removesuffix(".whl").split("-")
    python, abi, plat = rest[-3:]
    if plat != "any" and not platform.search(plat):
        return False
    for tag in python.split("."):
        if tag in ("py3", "py2.py3") or tag == f"cp3{minor}":
            return True
        if abi == "abi3" and tag.startswith("cp3") and int(tag[3:]) <= minor:
            return True
    return False


@pytest.mark.parametrize("minor", PYTHONS, ids=lambda m: f"3.{m}")
@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_every_package_has_a_hashed_wheel_for(platform: str, minor: int) -> None:
    assert LOCK["requires-python"] == ">=3.11"
    missing = []
    for package in LOCK["package"]:
        wheels = package.get("wheels", [])
        if package.get("source", {}).get("editable") or package.get("source", {}).get("virtual"):
            continue  # renewer itself
        assert all(w["hash"].startswith("sha256:") for w in wheels), package["name"]
        names = [w["url"].rsplit("/", 1)[1] for w in wheels]
        if not _needed_on(package["name"], platform, minor):
            continue
        if not any(_wheel_fits(n, minor, PLATFORMS[platform]) for n in names):
            missing.append(f"{package['name']} {package['version']}")
    assert not missing, f"no wheel for CPython 3.{minor} on {platform}: {missing}"


def test_the_lock_pins_uv_so_it_can_bootstrap_itself() -> None:
    out = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "lock.py"), "uv-requirement"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    assert re.match(r"uv==[\d.]+ \\\n", out)
    assert len(re.findall(r"--hash=sha256:[0-9a-f]{64}", out)) >= 5  # a wheel per platform


def test_action_and_ci_install_from_the_lock() -> None:
    action = (REPO / "action.yml").read_text()
    assert 'scripts/lock.py" uv-requirement' in action
    assert "uv export" in action and "--frozen" in action and "--no-dev" in action
    ci = (REPO / ".github" / "workflows" / "ci.yml").read_text()
    venv = (REPO / "scripts" / "venv.sh").read_text()
    assert "make venv" in ci or "make test" in ci
    assert "uv-requirement" in venv and "sync --quiet --frozen" in venv
    for path in [REPO / "action.yml", *sorted((REPO / ".github" / "workflows").glob("*.yml"))]:
        assert "requirements/" not in path.read_text(), f"{path.name}: a hand-kept hash file"


def test_dependabot_keeps_the_lock_and_the_action_pins_fresh() -> None:
    import yaml

    config = yaml.safe_load((REPO / ".github" / "dependabot.yml").read_text())
    ecosystems = {u["package-ecosystem"]: u for u in config["updates"]}
    assert ecosystems["uv"]["directory"] == "/"
    assert ecosystems["github-actions"]["directory"] == "/"
