"""The workflows ``renewer init`` writes can do what the docs tell users to do.

README, docs/azure-setup.md, docs/consumers.md and docs/github-actions.md send
users to the renew workflow's dispatch form ("with **doctor** ticked", "the
`verify_only` input", the emergency table). Every input they mention must exist in
this repository's renew.yml *and* in the renewer-renew.yml that ``renewer init``
writes, or a user following the docs finds no such box.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from renewer.scaffold.init import Pin, render

REPO = Path(__file__).resolve().parents[3]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
SHA = "0123456789abcdef0123456789abcdef01234567"
NAMED = ("doctor", "write_test", "verify_only", "only", "force", "dry_run")
MENTIONS = (
    re.compile(r"\*\*(\w+)\*\* ticked"),  # "run by hand with **doctor** ticked"
    re.compile(r"`(\w+)` input"),  # "the renew workflow's `verify_only` input"
    re.compile(r"\binputs?\s+`(\w+)`"),  # "the input `write_test`"
)
EMERGENCY_ROW = re.compile(r"^\| `(\w+)` \|", re.MULTILINE)


def _inputs(workflow: dict[str, Any]) -> dict[str, Any]:
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1: a bare `on` is True
    assert isinstance(triggers, dict)
    found = triggers["workflow_dispatch"]["inputs"]
    assert isinstance(found, dict)
    return found


def _ours() -> dict[str, Any]:
    return _inputs(yaml.safe_load((REPO / ".github/workflows/renew.yml").read_text()))


def _generated() -> dict[str, Any]:
    files = render(Pin("acme/renewer", "v1.2.3", SHA))
    loaded = yaml.safe_load(files[".github/workflows/renewer-renew.yml"])
    assert isinstance(loaded, dict)
    return loaded


def mentioned() -> dict[str, list[str]]:
    """input name -> the docs that mention it as a dispatch input."""
    found: dict[str, list[str]] = {}
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        names = {m for pattern in MENTIONS for m in pattern.findall(text)}
        if "Run workflow" in text:  # the emergency table follows "Actions → renew → Run workflow"
            section = text.split("Run workflow", 1)[1].split("\n## ", 1)[0]
            names |= set(EMERGENCY_ROW.findall(section))
        for name in names:
            found.setdefault(name, []).append(doc.name)
    return found


def test_every_input_the_docs_mention_exists_in_both_renew_workflows() -> None:
    docs = mentioned()
    assert {"doctor", "verify_only", "only", "force", "dry_run"} <= set(docs), docs
    ours, generated = set(_ours()), set(_inputs(_generated()))
    missing = {
        name: where for name, where in docs.items() if name not in ours or name not in generated
    }
    assert not missing, f"inputs the docs mention but a renew workflow lacks: {missing}"


def test_the_generated_workflow_has_this_repositorys_dispatch_inputs() -> None:
    ours, generated = _ours(), _inputs(_generated())
    assert set(NAMED) <= set(generated)
    assert set(generated) == set(ours)
    for name in generated:  # the same kind of box, so the docs' words fit both
        assert generated[name]["type"] == ours[name]["type"], name


def test_doctor_and_verify_only_run_their_command_through_the_action_and_renew_nothing() -> None:
    jobs = _generated()["jobs"]
    steps = {name: job["steps"] for name, job in jobs.items()}

    def commands(job: str) -> list[str]:
        return [s["with"]["command"] for s in steps[job] if "with" in s and "command" in s["with"]]

    assert commands("doctor") == ["doctor"] and "inputs.doctor" in jobs["doctor"]["if"]
    assert commands("verify") == ["verify"] and "inputs.verify_only" in jobs["verify"]["if"]
    assert all(
        s["uses"].startswith("acme/renewer@")
        for s in steps["verify"]
        if "command" in s.get("with", {})
    )
    renew_if = jobs["renew"]["if"]
    assert "!inputs.doctor" in renew_if and "!inputs.verify_only" in renew_if
    doctor_with = next(s["with"] for s in steps["doctor"] if "with" in s and "command" in s["with"])
    assert "inputs.write_test" in doctor_with["write-test"]
