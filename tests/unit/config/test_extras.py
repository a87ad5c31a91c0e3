"""config.extras: run_every and run_slack, the slack held to a quarter of the cadence."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from renewer.config.convert import Context
from renewer.config.extras import cadence_fields, spec_extras
from renewer.config.nodes import Checker, Source, compose
from renewer.core.endpoints import DEFAULT_GRACE
from renewer.core.models import DEFAULT_RUN_EVERY, default_slack


def sources(checker: Checker, certificate: str, defaults: str) -> tuple[Source, Source]:
    out = []
    for text, where in ((certificate, "certificates[0]"), (defaults, "defaults")):
        root = compose(text)
        assert root is not None
        entries = checker.mapping(root, where)
        assert entries is not None
        out.append(Source(entries, root, where))
    return out[0], out[1]


def cadence(
    certificate: str, defaults: str = "{}", values: dict[str, Any] | None = None
) -> tuple[dict[str, Any], list[tuple[int, int, str]]]:
    checker = Checker(Context(Path("/cfg"), {}))
    source, default_source = sources(checker, certificate, defaults)
    return cadence_fields(checker, source, default_source, values or {}), checker.issues


def test_nothing_written_gives_the_shipped_schedule() -> None:
    found, issues = cadence("{}")
    assert found == {"run_every": DEFAULT_RUN_EVERY, "run_slack": default_slack(DEFAULT_RUN_EVERY)}
    assert issues == []


def test_a_short_cadence_shrinks_the_default_slack() -> None:
    found, _ = cadence("run_every: 2h\n")
    assert found == {"run_every": timedelta(hours=2), "run_slack": timedelta(minutes=30)}


def test_too_much_slack_is_reported_at_the_slack_in_file_words() -> None:
    found, issues = cadence("run_every: 1h\nrun_slack: 20m\n")
    assert found["run_slack"] == timedelta(minutes=15)  # capped, and reported
    assert issues == [
        (
            2,
            12,
            "certificates[0].run_slack: run_slack 20m is more than a quarter of run_every 1h; "
            "at most 15m",
        )
    ]


def test_a_short_own_cadence_under_a_default_slack_is_blamed_on_the_cadence() -> None:
    values = {"run_every": timedelta(hours=12), "run_slack": timedelta(hours=3)}
    _, issues = cadence("run_every: 7h30m\n", "run_every: 12h\nrun_slack: 3h\n", values)
    assert issues == [
        (
            1,
            12,
            "certificates[0].run_every: run_every 7h30m allows at most 1h52m30s of run_slack, "
            "but defaults.run_slack is 3h; set run_slack on this certificate",
        )
    ]


def test_spec_extras_joins_verify_fields_and_cadence() -> None:
    checker = Checker(Context(Path("/cfg"), {}))
    source, default_source = sources(checker, "endpoints: [a.test]\n", "{}")
    found = spec_extras(checker, source, ("a.test",), default_source, {})
    assert sorted(found) == ["endpoints", "grace", "run_every", "run_slack"]
    assert found["grace"] == DEFAULT_GRACE
    assert checker.issues == []
