"""Renewal windows remembered across runs (issue 17): the CA is asked only when due.

Real Pebble (whose renewalInfo answers carry ``Retry-After: 21600``) and
challtestsrv; the directory store keeps the window in metadata.json. Renewal
info requests are counted where they leave the process (urllib3), so a lookup
answered from memory and one that reached the CA cannot be confused
(tests/integration/ari_requests.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rig import Challtestsrv

from renewer import app
from renewer.config.loader import load_config
from renewer.core import renewal_window
from renewer.core.models import ActionKind
from renewer.execute.executor import Executor
from renewer.execute.services import Services
from tests.integration.ari_requests import RenewalInfoRequests
from tests.integration.ari_requests import ari_requests as ari_requests  # fixture
from tests.integration.runner import run_cli
from tests.integration.test_renew_e2e import challtestsrv_dns, config

pytestmark = pytest.mark.integration

NAMES = ("m0", "m1", "m2")


def issued(tmp_path: Path, dns: Challtestsrv, pebble_factory: Any, names: Sequence[str]) -> Path:
    """A config of ``names`` on a fresh Pebble, each issued by one real ``renew``."""
    pebble = pebble_factory(dns_server=dns.dns_address)
    certs = [{"name": n, "domains": [f"{n}.memory.test"]} for n in names]
    cfg = config(tmp_path, pebble, challtestsrv_dns(dns), certs)
    assert run_cli("renew", "-c", str(cfg)).code == 0
    return cfg


def metadata(tmp_path: Path, name: str) -> dict[str, Any]:
    meta: dict[str, Any] = json.loads(
        (tmp_path / "certs" / name / "current" / "metadata.json").read_text()
    )
    return meta


def rewrite_window(tmp_path: Path, name: str, **moments: datetime) -> None:
    """Change the remembered window's check times as an earlier run would have left them."""
    path = (tmp_path / "certs" / name / "current").resolve() / "metadata.json"
    meta = json.loads(path.read_text())
    info = renewal_window.decode(meta["renewal_info"])
    assert info is not None
    changed = info.__class__(
        start=info.start,
        end=info.end,
        checked=moments.get("checked", info.checked),
        next_check=moments.get("next_check", info.next_check),
    )
    meta["renewal_info"] = renewal_window.encode(changed)
    path.write_text(json.dumps(meta))


def test_a_noop_run_asks_the_ca_only_where_the_remembered_retry_after_passed(
    tmp_path: Path,
    challtestsrv: Challtestsrv,
    pebble_factory: Any,
    ari_requests: RenewalInfoRequests,
) -> None:
    cfg = issued(tmp_path, challtestsrv, pebble_factory, NAMES)

    # Asked right after issuance, kept with the certificate, next check per Retry-After.
    for name in NAMES:
        info = renewal_window.decode(metadata(tmp_path, name).get("renewal_info"))
        assert info is not None and info.checked is not None and info.next_check is not None
        assert info.next_check - info.checked == timedelta(seconds=21600)
        assert info.start < info.end

    specs = list(load_config(cfg).certificates)
    plan, state = app.make_plan(specs, Services())
    assert len(ari_requests) == 0
    assert state.asked == frozenset()
    assert set(state.renewal_info) == set(NAMES)
    assert {a.kind for a in plan.actions} == {ActionKind.SKIP}
    assert all("ARI window" in a.reason for a in plan.actions)

    # One window's Retry-After (1 h, asked 2 h ago) has passed, another was written by a
    # clock a week fast: exactly those two are asked, the third stays remembered.
    now = datetime.now(UTC)
    rewrite_window(
        tmp_path, "m1", checked=now - timedelta(hours=2), next_check=now - timedelta(hours=1)
    )
    rewrite_window(tmp_path, "m2", next_check=now + timedelta(days=7))
    plan, state = app.make_plan(specs, Services())
    assert len(ari_requests) == 2, ari_requests.urls
    assert state.asked == frozenset({"m1", "m2"})
    before = {n: metadata(tmp_path, n)["renewal_info"] for n in NAMES}

    # A dry run writes nothing back.
    ari_requests.reset()
    plan, state = app.make_plan(specs, Services())
    with Services() as services:
        app.renew(plan, state, Executor(services), dry_run=True)
    assert {n: metadata(tmp_path, n)["renewal_info"] for n in NAMES} == before

    # A real no-op run writes the windows it asked for; the next plan asks nobody.
    ari_requests.reset()
    plan, state = app.make_plan(specs, Services())
    with Services() as services:
        report = app.renew(plan, state, Executor(services))
    assert len(ari_requests) == 2
    assert all(r.outcome.value == "skipped" for r in report.results)
    after = {n: renewal_window.decode(metadata(tmp_path, n)["renewal_info"]) for n in NAMES}
    assert metadata(tmp_path, "m0")["renewal_info"] == before["m0"]
    for name in ("m1", "m2"):
        info = after[name]
        assert info is not None and info.next_check is not None
        assert now < info.next_check <= datetime.now(UTC) + timedelta(hours=6, seconds=5)
    ari_requests.reset()
    _, state = app.make_plan(specs, Services())
    assert len(ari_requests) == 0 and state.asked == frozenset()

    # Runs a day apart against a 6 h Retry-After: asked every run (RFC 9773), the same
    # window is not rewritten every run.
    rewrite_window(
        tmp_path, "m0", checked=now - timedelta(hours=25), next_check=now - timedelta(hours=19)
    )
    daily = metadata(tmp_path, "m0")["renewal_info"]
    plan, state = app.make_plan(specs, Services())
    with Services() as services:
        app.renew(plan, state, Executor(services))
    assert state.asked == frozenset({"m0"}) and len(ari_requests) == 1
    assert metadata(tmp_path, "m0")["renewal_info"] == daily
    ari_requests.reset()

    # Asked to refresh, every window is asked again.
    _, state = app.make_plan(specs, Services(), refresh=True)
    assert len(ari_requests) == 3
    assert state.asked == frozenset(NAMES)


def test_an_unreadable_remembered_window_is_asked_not_an_error(
    tmp_path: Path,
    challtestsrv: Challtestsrv,
    pebble_factory: Any,
    ari_requests: RenewalInfoRequests,
) -> None:
    cfg = issued(tmp_path, challtestsrv, pebble_factory, ("odd",))
    path = (tmp_path / "certs" / "odd" / "current").resolve() / "metadata.json"
    meta = json.loads(path.read_text())
    meta["renewal_info"] = "ari1 not a window"
    path.write_text(json.dumps(meta))

    specs = list(load_config(cfg).certificates)
    plan, state = app.make_plan(specs, Services())
    assert len(ari_requests) == 1
    assert state.asked == frozenset({"odd"})
    assert plan.actions[0].kind is ActionKind.SKIP
    assert plan.actions[0].stored is not None and plan.actions[0].stored.damage is None
