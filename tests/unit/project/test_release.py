"""release.yml publishes only what was built, checked and described, without a token.

actionlint and zizmor (make lint-workflows) check the workflow's syntax and security
rules; these tests pin its shape: tag-only trigger, jobs chained so nothing is published
before the build and its checks pass, trusted publishing (no password), provenance
attestations, an SBOM, and notes from CHANGELOG.md (scripts/release_notes.py).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "scripts"))

from release_notes import notes  # noqa: E402

RELEASE = yaml.safe_load((REPO / ".github" / "workflows" / "release.yml").read_text())
JOBS: dict[str, Any] = RELEASE["jobs"]


def _uses(job: str) -> list[str]:
    return [s["uses"].split("@")[0] for s in JOBS[job]["steps"] if "uses" in s]


def _runs(job: str) -> str:
    return "\n".join(s.get("run", "") for s in JOBS[job]["steps"])


def test_runs_on_version_tags_only() -> None:
    triggers = RELEASE.get("on", RELEASE.get(True))
    assert list(triggers) == ["push"]
    assert triggers["push"] == {"tags": ["v[0-9]+.[0-9]+.[0-9]+"]}


def test_nothing_is_published_before_build_and_attestation() -> None:
    assert JOBS["attest"]["needs"] == "build"
    assert set(JOBS["pypi"]["needs"]) == {"build", "attest"}
    assert set(JOBS["github"]["needs"]) == {"build", "pypi"}


def test_build_checks_the_version_the_wheel_and_the_changelog_first() -> None:
    names = [s.get("name", s.get("uses", "")) for s in JOBS["build"]["steps"]]
    assert names.index("Release notes from CHANGELOG.md (no section, no release)") < names.index(
        "Build sdist and wheel"
    )
    runs = _runs("build")
    assert "fetch-depth" in str(JOBS["build"]["steps"][0]["with"])  # tags for setuptools-scm
    assert "--build-constraints" in runs and "--require-hashes" in runs
    assert 'test -f "dist/renewer-${version}-py3-none-any.whl"' in runs
    assert "scripts/check_wheel.py" in runs
    assert "cyclonedx-py environment" in runs


def test_pypi_by_trusted_publishing_only() -> None:
    job = JOBS["pypi"]
    assert job["environment"]["name"] == "pypi"
    assert job["permissions"] == {"id-token": "write"}
    step = next(s for s in job["steps"] if "gh-action-pypi-publish" in s.get("uses", ""))
    assert "password" not in step.get("with", {}) and "user" not in step.get("with", {})
    assert "secrets." not in yaml.safe_dump(RELEASE)


def test_attestations_and_the_github_release() -> None:
    assert "actions/attest-build-provenance" in _uses("attest")
    assert JOBS["attest"]["permissions"] == {"id-token": "write", "attestations": "write"}
    assert JOBS["github"]["permissions"] == {"contents": "write"}
    runs = _runs("github")
    assert "gh release create" in runs and "--notes-file release/notes.md" in runs
    assert "release/*.cdx.json" in runs and "--verify-tag" in runs


CHANGELOG = """# Changelog

## [Unreleased]
- next

## [1.2.3] - 2026-12-01
### Fixed
- a thing

## [1.2.2] - 2026-11-01
- older
"""


def test_notes_are_the_tags_section() -> None:
    assert notes("v1.2.3", CHANGELOG) == "### Fixed\n- a thing\n"
    assert notes("v1.2.2", CHANGELOG) == "- older\n"


@pytest.mark.parametrize(
    ("tag", "message"),
    [
        ("v9.9.9", "no '## [9.9.9] - DATE' section"),
        ("1.2.3", "is not vX.Y.Z"),
        ("v1.2", "is not vX.Y.Z"),
    ],
)
def test_no_section_no_release(tag: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        notes(tag, CHANGELOG)


def test_the_script_exits_1_for_the_workflow(tmp_path: Path) -> None:
    path = tmp_path / "CHANGELOG.md"
    path.write_text(CHANGELOG)
    script = str(REPO / "scripts" / "release_notes.py")
    ok = subprocess.run(
        [sys.executable, script, "v1.2.3", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert (ok.returncode, ok.stdout) == (0, "### Fixed\n- a thing\n")
    bad = subprocess.run(
        [sys.executable, script, "v4.5.6", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert bad.returncode == 1 and "no '## [4.5.6] - DATE' section" in bad.stderr
