"""run_every and run_slack: defaults, per-certificate overrides, and the slack's default."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from renewer.config.loader import load_config

HEAD = """\
acme: {directory: letsencrypt}
store: {type: directory}
dns: {type: challtestsrv, url: "http://127.0.0.1:8055"}
"""


def _specs(tmp_path: Path, text: str) -> dict[str, tuple[timedelta, timedelta]]:
    path = tmp_path / "c.yaml"
    path.write_text(HEAD + text)
    return {s.name: (s.run_every, s.run_slack) for s in load_config(path).certificates}


def test_shipped_schedule_is_the_default(tmp_path: Path) -> None:
    found = _specs(tmp_path, "certificates:\n  - {name: a, domains: [a.test]}\n")
    assert found == {"a": (timedelta(hours=12), timedelta(hours=1))}


def test_overrides_and_a_slack_that_follows_a_short_cadence(tmp_path: Path) -> None:
    found = _specs(
        tmp_path,
        "defaults: {run_every: 24h, run_slack: 3h}\n"
        "certificates:\n"
        "  - {name: daily, domains: [a.test]}\n"
        "  - {name: often, domains: [b.test], run_every: 2h, run_slack: 10m}\n"
        "  - {name: short, domains: [c.test], run_every: 1h, run_slack: 0}\n",
    )
    assert found == {
        "daily": (timedelta(hours=24), timedelta(hours=3)),
        "often": (timedelta(hours=2), timedelta(minutes=10)),
        "short": (timedelta(hours=1), timedelta(0)),
    }
    unset = _specs(
        tmp_path, "defaults: {run_every: 20m}\ncertificates:\n  - {name: a, domains: [a.test]}\n"
    )
    assert unset == {"a": (timedelta(minutes=20), timedelta(minutes=5))}  # a quarter
