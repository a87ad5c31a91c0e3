"""core.files: inputs are regular files under a cap, refused with a reason, never blocking."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from renewer.core.errors import RenewerError
from renewer.core.files import BoundedReadError, base_dir, read_bounded


def test_a_regular_file_under_the_cap_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "certificates.yaml"
    path.write_bytes(b"certificates: []\n")
    assert read_bounded(path) == b"certificates: []\n"


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: None, "does not exist"),
        (lambda p: p.mkdir(), "is a directory"),
        (lambda p: os.mkfifo(p), "not a regular file"),
        (lambda p: p.write_bytes(b"x" * 2048), "larger than"),
    ],
    ids=["missing", "folder", "fifo", "too-large"],
)
def test_what_is_not_an_input_is_refused_with_its_reason(
    tmp_path: Path, make: object, reason: str
) -> None:
    path = tmp_path / "input"
    make(path)  # type: ignore[operator]
    with pytest.raises(BoundedReadError, match=reason) as caught:
        read_bounded(path, cap=1024)  # a FIFO would block an open(): it must not be opened
    assert str(tmp_path) not in str(caught.value)  # the caller adds the path it shows
    assert isinstance(caught.value, RenewerError) and isinstance(caught.value, ValueError)


def test_a_file_of_exactly_the_cap_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bundle.pem"
    path.write_bytes(b"y" * 1024)
    assert len(read_bounded(path, cap=1024)) == 1024


def test_relative_paths_resolve_against_the_real_file_behind_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "repo" / "certificates.yaml"
    real.parent.mkdir()
    real.write_text("certificates: []\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    link = elsewhere / "certificates.yaml"
    link.symlink_to(real)
    assert base_dir(link) == real.parent.resolve()
    assert base_dir(real) == real.parent.resolve()
