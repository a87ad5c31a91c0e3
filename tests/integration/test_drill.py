"""The mass-revocation drill: every ARI window moved into the past, one renew re-issues all.

Let's Encrypt did this to about three million certificates on 2026-03-19.
Here: 50 certificates on real Pebble (challtestsrv DNS), each window set in
the past through Pebble's management ``/set-renewal-info``, then one run.
Every certificate must be re-issued as a replacement (Pebble logs each order
that names the certificate it replaces), with at most ``--concurrency``
orders in flight, on the one account, and without spending the new-order
budget (ARI renewals are exempt: a budget of 10 does not hold back 50).
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rig import Challtestsrv

from renewer import app
from renewer.config.loader import load_config
from renewer.core.models import ActionKind, Outcome
from renewer.execute import executor as executor_module
from renewer.execute.executor import Executor
from renewer.execute.services import Services
from renewer.plan import budget
from tests.integration.test_renew_e2e import challtestsrv_dns, config

pytestmark = pytest.mark.integration

N = 50
CONCURRENCY = 6


def test_fifty_windows_in_the_past_are_all_replaced_in_one_bounded_run(
    tmp_path: Path, challtestsrv: Challtestsrv, pebble_factory: Any, monkeypatch: Any
) -> None:
    pebble = pebble_factory(dns_server=challtestsrv.dns_address)
    certs = [{"name": f"d{i:02d}", "domains": [f"d{i:02d}.drill.test"]} for i in range(N)]
    cfg = config(tmp_path, pebble, challtestsrv_dns(challtestsrv), certs)
    specs = list(load_config(cfg).certificates)

    plan, state = app.make_plan(specs, Services())
    assert [a.kind for a in plan.actions] == [ActionKind.ISSUE] * N  # 50 fit the domain budget
    first = app.renew(plan, state, Executor(Services(), concurrency=10))
    assert {r.outcome for r in first.results} == {Outcome.SUCCEEDED}
    serials = {r.name: r.serial for r in first.results}

    now = datetime.now(UTC)
    window = {
        "suggestedWindow": {
            "start": (now - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "end": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    }
    for spec in specs:
        pem = (tmp_path / "certs" / spec.name / "cert.pem").read_text()
        pebble.set_renewal_info(pem, json.dumps(window))
    replaced_before = pebble.log_path.read_text().count("is a replacement of")

    in_flight, peak, lock = 0, 0, threading.Lock()
    real_obtain = executor_module.obtain

    def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        try:
            return real_obtain(*args, **kwargs)
        finally:
            with lock:
                in_flight -= 1

    monkeypatch.setattr(executor_module, "obtain", counted)
    services = Services()
    # One run, asking the CA afresh (the windows remembered at issuance are 6 h old advice).
    plan, state = app.make_plan(
        specs, services, refresh=True, limits=budget.Limits(max_new_orders=10)
    )
    assert [a.kind for a in plan.actions] == [ActionKind.RENEW] * N
    assert all("ARI window" in a.reason for a in plan.actions)
    assert plan.budgets is not None and len(plan.budgets.exempt) == N
    assert not plan.budgets.deferred
    report = app.renew(plan, state, Executor(services, concurrency=CONCURRENCY, max_new_orders=10))
    assert {r.outcome for r in report.results} == {Outcome.SUCCEEDED}, [
        (r.name, r.error) for r in report.results if r.error
    ]
    assert all(serials[r.name] != r.serial for r in report.results)
    assert 1 < peak <= CONCURRENCY
    replaced = pebble.log_path.read_text().count("is a replacement of") - replaced_before
    assert replaced == N
    assert len(list((tmp_path / "certs" / "_accounts").iterdir())) == 1
