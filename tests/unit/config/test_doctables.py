"""The provider tables of README.md and docs/dns-providers.md are the registry's, never stale."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from renewer.config import doctables
from renewer.config.types.registry import DNS_TYPES, built_in

REPO = Path(__file__).resolve().parents[3]


def test_the_committed_tables_are_the_generated_ones() -> None:
    for file in doctables.TABLES:
        text = (REPO / file).read_text(encoding="utf-8")
        assert doctables.render(text, file) == text, (
            f"{file} is stale: run `python -m renewer.config.doctables`"
        )
    assert doctables.main(["--check"], REPO) == 0


def test_every_built_in_dns_type_has_a_row_and_the_check_fails_when_one_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in DNS_TYPES:
        if not name.startswith("example"):
            assert f"| `{name}` |" in readme
    for file in doctables.TABLES:
        (tmp_path / file).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / file).write_text((REPO / file).read_text(encoding="utf-8"))
    about = DNS_TYPES["azure"].about
    assert about is not None
    changed = replace(about, credentials="a changed sentence")  # what a type module says
    types = [replace(t, about=changed) if t.name == "azure" else t for t in built_in()]
    monkeypatch.setattr(doctables, "built_in", lambda: types)
    assert doctables.main(["--check"], tmp_path) == 1
    assert doctables.main([], tmp_path) == 0  # rewritten between the markers
    assert "| `azure` | Azure DNS | a changed sentence |" in (tmp_path / "README.md").read_text()
    assert doctables.main(["--check"], tmp_path) == 0


def test_a_file_without_its_markers_is_an_error() -> None:
    with pytest.raises(ValueError, match="markers"):
        doctables.render("# no table here\n", "README.md")
