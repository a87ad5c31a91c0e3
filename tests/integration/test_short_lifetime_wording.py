"""A 24-hour certificate (step-ca's default) reads in hours, never "0 days".

Every view of a run over a certificate that short: the renew console lines and
its Markdown summary, and the plan as text, Markdown and JSON at moments
through its life (the app's clock moved, as a later scheduled run sees it).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rig import Bind

from tests.integration.runner import plan_at, run_cli
from tests.integration.test_renew_e2e import bind_dns, config, leaf

pytestmark = pytest.mark.integration

DAYS_UNDER_TWO = re.compile(r"\b[01] days?\b")  # "0 days", "1 days", "1 day"


def _plan_at(cfg: Path, moment: datetime, fmt: str, env: dict[str, str]) -> str:
    """``renewer plan --format FMT`` as a run at ``moment`` would print it."""
    return plan_at(cfg, moment, fmt, env).output


def test_a_24_hour_certificate_is_said_in_hours_everywhere(
    tmp_path: Path, bind: Bind, stepca_factory: Any
) -> None:
    ca = stepca_factory(resolver=bind.dns_address)
    cfg = config(tmp_path, ca, bind_dns(bind), [{"name": "day", "domains": ["day.example.test"]}])
    env = {"TSIG_SECRET": bind.secret}
    summary = tmp_path / "s.md"
    issued = run_cli("renew", "-c", str(cfg), "--summary", str(summary), env=env)
    assert issued.code == 0, issued.output
    cert = leaf(tmp_path, "day")
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    assert end - start <= timedelta(hours=24, minutes=2)  # step-ca's default lifetime
    assert f"valid until {end:%Y-%m-%d %H:%M} UTC" in issued.stdout  # with the time of day

    outputs = {"renew": issued.output, "renew summary": summary.read_text()}
    moments = {"fresh": timedelta(minutes=5), "due": timedelta(hours=20)}
    moments["emergency"] = end - start - timedelta(minutes=30)
    for label, offset in moments.items():
        for fmt in ("text", "markdown", "json"):
            outputs[f"plan {fmt} {label}"] = _plan_at(cfg, start + offset, fmt, env)
    for where, text in outputs.items():
        assert not DAYS_UNDER_TWO.search(text), (where, text)
    assert re.search(r"expires in (23|24) hours", outputs["plan text fresh"])
    assert re.search(r"expires in (3|4) hours", outputs["plan json due"])
    assert re.search(r"emergency: expires in (29|30) minutes", outputs["plan markdown emergency"])
