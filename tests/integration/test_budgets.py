"""Rate-limit budgets on the real rig: shards of one account share its new-order budget.

Three ``renew --shard I/3`` runs against one Pebble with ``--max-new-orders 4``:
together they send exactly 4 new orders (the rest deferred, with the reason),
never 3 x 4. The orders are counted where they are sent (Pebble's log of
newOrder requests) and as certificates in the store.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rig import Challtestsrv

from tests.integration.runner import run_cli
from tests.integration.test_renew_e2e import challtestsrv_dns, config

pytestmark = pytest.mark.integration


def test_shards_together_stay_inside_the_account_budget(
    tmp_path: Path, challtestsrv: Challtestsrv, pebble_factory: Any
) -> None:
    pebble = pebble_factory(dns_server=challtestsrv.dns_address)
    certs = [{"name": f"s{i}", "domains": [f"s{i}.budget.test"]} for i in range(9)]
    cfg = config(tmp_path, pebble, challtestsrv_dns(challtestsrv), certs)
    plan = run_cli("plan", "-c", str(cfg), "--shard", "1/3", "--max-new-orders", "4")
    assert plan.code == 0, plan.output
    assert "budget: account at" in plan.stdout and "this shard's share of 4 over 3" in plan.stdout

    outcomes: dict[str, str] = {}
    errors: dict[str, str] = {}
    for index in (1, 2, 3):
        report = tmp_path / f"r{index}.json"
        ran = run_cli(
            "renew",
            "-c",
            str(cfg),
            "--shard",
            f"{index}/3",
            "--max-new-orders",
            "4",
            "--report",
            str(report),
        )
        assert ran.code == 0, ran.output  # deferred is not a failure
        for row in json.loads(report.read_text())["certificates"]:
            outcomes[row["name"]] = row["result"]
            errors[row["name"]] = row.get("error") or ""
    assert len(outcomes) == 9
    succeeded = [n for n, r in outcomes.items() if r == "succeeded"]
    deferred = [n for n, r in outcomes.items() if r == "deferred"]
    assert len(succeeded) == 4 and len(deferred) == 5
    assert all("new-order budget of the account" in errors[n] for n in deferred)
    issued = [p.name for p in (tmp_path / "certs").iterdir() if not p.name.startswith("_")]
    assert sorted(issued) == sorted(succeeded)
    new_orders = pebble.log_path.read_text().count("Added order ")
    assert new_orders == 4, new_orders
