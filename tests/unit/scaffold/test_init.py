"""``renewer init`` writes a starter that validates, pins the published action to a release
commit, passes actionlint and zizmor as written, and never overwrites anything."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rig import find_binary

SHA = "0123456789abcdef0123456789abcdef01234567"
WORKFLOWS = ("renewer-plan.yml", "renewer-renew.yml", "renewer-validate.yml")


def _init(root: Path, *args: str) -> tuple[int, str]:
    # A subprocess, as a user runs it (and the CLI's logging setup stays out of this process).
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "renewer",
            "init",
            "--dir",
            str(root),
            "--action",
            "acme/renewer",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return proc.returncode, proc.stdout + proc.stderr


def test_writes_a_starter_that_validates(tmp_path: Path) -> None:
    code, out = _init(tmp_path, "--ref", "v1.2.3", "--sha", SHA)
    assert code == 0, out
    assert f"action pinned: uses: acme/renewer@{SHA} # v1.2.3" in out
    config = (tmp_path / "certificates.yaml").read_text()
    assert config.startswith(
        "# yaml-language-server: $schema=https://raw.githubusercontent.com/acme/renewer/"
        f"{SHA}/renewer/schema/certificates.schema.json\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "renewer", "validate", "-c", "certificates.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name in WORKFLOWS:
        text = (tmp_path / ".github" / "workflows" / name).read_text()
        uses = re.findall(r"uses: (acme/renewer\S*.*)", text)
        assert uses and set(uses) == {f"acme/renewer@{SHA} # v1.2.3"}, (name, uses)
        assert "@@" not in text


def test_generated_workflows_pass_actionlint_and_zizmor(tmp_path: Path) -> None:
    assert _init(tmp_path, "--ref", "v1.2.3", "--sha", SHA)[0] == 0
    workflows = tmp_path / ".github" / "workflows"
    actionlint = subprocess.run(
        [find_binary("actionlint"), *sorted(str(p) for p in workflows.iterdir())],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert actionlint.returncode == 0, actionlint.stdout + actionlint.stderr
    zizmor = shutil.which("zizmor") or str(Path(sys.executable).with_name("zizmor"))
    proc = subprocess.run(
        [zizmor, "--offline", "--persona=pedantic", str(workflows)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No findings to report" in proc.stdout + proc.stderr


def test_refuses_to_overwrite_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "certificates.yaml").write_text("mine\n")
    code, out = _init(tmp_path, "--ref", "v1.2.3", "--sha", SHA)
    assert code == 2
    assert "not overwriting certificates.yaml" in out
    assert (tmp_path / "certificates.yaml").read_text() == "mine\n"
    assert not (tmp_path / ".github").exists()


def test_the_tag_is_resolved_to_its_commit_with_git(tmp_path: Path) -> None:
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.test"]
    upstream = tmp_path / "upstream"
    upstream.mkdir()
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1"}
    for argv in (
        [*git, "init", "-q"],
        [*git, "commit", "-q", "--allow-empty", "-m", "release"],
        [*git, "tag", "-a", "v2.0.0", "-m", "v2.0.0"],  # annotated: the commit is peeled
    ):
        subprocess.run(argv, cwd=upstream, check=True, env=env, capture_output=True, timeout=30)
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=upstream, check=True, capture_output=True, text=True
    ).stdout.strip()
    code, out = _init(tmp_path / "repo", "--ref", "v2.0.0", "--remote", str(upstream))
    assert code == 0, out
    assert f"uses: acme/renewer@{commit} # v2.0.0" in out
    code, out = _init(tmp_path / "other", "--ref", "v9.0.0", "--remote", str(upstream))
    assert code == 2 and "has no tag v9.0.0" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--ref", "1.2.3", "--sha", SHA], "expected a release tag vX.Y.Z"),
        (["--ref", "v1.2.3", "--sha", "abc"], "expected the tag's 40-hex commit"),
    ],
)
def test_bad_pins_are_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    code, out = _init(tmp_path, *args)
    assert code == 2 and message in out, out
    assert not any(tmp_path.iterdir())
