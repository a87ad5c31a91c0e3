"""config.lifecycle: a certificate's adopt, retired, previous_name and consumers keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from renewer.config.consumers import CONSUMERS_FIELD
from renewer.config.convert import Context
from renewer.config.fields import SECTIONS
from renewer.config.lifecycle import LIFECYCLE

CTX = Context(Path("/cfg"), {})


def test_the_keys_are_part_of_every_certificate_table() -> None:
    assert set(LIFECYCLE) == {"adopt", "retired", "consumers", "previous_name"}
    certificate = SECTIONS["certificate"]
    assert all(certificate[name] is field for name, field in LIFECYCLE.items())
    assert LIFECYCLE["consumers"] is CONSUMERS_FIELD


def test_adopting_and_retiring_are_off_unless_asked() -> None:
    for name in ("adopt", "retired"):
        assert LIFECYCLE[name].default is False
        assert LIFECYCLE[name].accepts == ("bool",)


def test_a_previous_name_follows_the_certificate_name_rule() -> None:
    convert = LIFECYCLE["previous_name"].convert
    assert convert is not None
    assert convert("old-web-1", CTX) == "old-web-1"
    for bad in ("old_web", "a" * 128, "old web"):
        with pytest.raises(ValueError):
            convert(bad, CTX)
    assert LIFECYCLE["previous_name"].pattern == "^[0-9A-Za-z-]{1,127}$"
