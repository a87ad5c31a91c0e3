"""publish.actions: workflow commands escaped as the runner reads them, the summary appended."""

from __future__ import annotations

from pathlib import Path

import pytest

from renewer.publish.actions import annotation, append_step_summary, in_actions, run_url


def test_an_annotation_escapes_data_and_properties() -> None:
    assert annotation(
        "error", "50% done\nnext line", file="a,b:c.yaml", line=3, col=7, title="t:x"
    ) == ("::error file=a%2Cb%3Ac.yaml,line=3,col=7,title=t%3Ax::50%25 done%0Anext line")
    assert annotation("notice", "plain") == "::notice::plain"


def test_a_message_cannot_start_a_command_of_its_own() -> None:
    text = annotation("warning", "x\n::add-mask::secret\r\n")
    assert "\n" not in text and "\r" not in text
    assert text == "::warning::x%0A::add-mask::secret%0D%0A"


def test_the_summary_is_appended_with_a_final_newline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("before\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert append_step_summary("### renewer")
    assert append_step_summary("done\n")
    assert summary.read_text() == "before\n### renewer\ndone\n"
    monkeypatch.delenv("GITHUB_STEP_SUMMARY")
    assert not append_step_summary("lost")


def test_the_run_link_needs_repository_and_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_SERVER_URL", raising=False)
    monkeypatch.setenv("GITHUB_REPOSITORY", "contoso/certs")
    monkeypatch.delenv("GITHUB_RUN_ID", raising=False)
    assert run_url() is None
    monkeypatch.setenv("GITHUB_RUN_ID", "42")
    assert run_url() == "https://github.com/contoso/certs/actions/runs/42"
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://ghe.example.test/")
    assert run_url() == "https://ghe.example.test/contoso/certs/actions/runs/42"


def test_in_actions_only_when_github_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert in_actions()
    monkeypatch.setenv("GITHUB_ACTIONS", "false")
    assert not in_actions()
