"""Never silently a new account: a store holding a CA's certificates without their account.

Real Pebble and challtestsrv, directory store. The account file is deleted as
a lost Key Vault secret would be: the next run refuses to register, says so
per certificate and in ``account show``, until ``--new-account``.
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


def test_a_lost_account_is_not_replaced_silently(
    tmp_path: Path, challtestsrv: Challtestsrv, pebble_factory: Any
) -> None:
    pebble = pebble_factory(dns_server=challtestsrv.dns_address)
    certs = [{"name": f"a{i}", "domains": [f"a{i}.account.test"]} for i in range(2)]
    cfg = config(tmp_path, pebble, challtestsrv_dns(challtestsrv), certs)

    before = run_cli("account", "show", "-c", str(cfg))
    assert before.code == 0 and "no account yet (the first renew registers one)" in before.stdout
    assert run_cli("renew", "-c", str(cfg)).code == 0  # a first run registers one: fine
    (path,) = (tmp_path / "certs" / "_accounts").iterdir()
    url = json.loads(path.read_text())["uri"]
    shown = run_cli("account", "show", "-c", str(cfg), "--format", "json")
    assert shown.code == 0
    assert json.loads(shown.stdout) == [
        {
            "directory": pebble.directory_url,
            "store": json.loads(shown.stdout)[0]["store"],
            "account_url": url,
            "certificates": 2,
        }
    ]

    path.unlink()  # the account secret is lost
    lost = run_cli("account", "show", "-c", str(cfg))
    assert lost.code == 1 and "NO ACCOUNT, but 2 certificate(s) it issued are stored" in lost.stdout
    refused = run_cli("renew", "-c", str(cfg), "--force", "--report", str(tmp_path / "r.json"))
    assert refused.code == 1
    rows = json.loads((tmp_path / "r.json").read_text())["certificates"]
    assert {r["result"] for r in rows} == {"failed"}
    for row in rows:
        assert row["error"].startswith("no new ACME account registered:"), row["error"]
        assert "holds 2 certificate(s) issued by" in row["error"]
        assert "--new-account" in row["error"]
    assert not (tmp_path / "certs" / "_accounts").exists() or not any(
        (tmp_path / "certs" / "_accounts").iterdir()
    )

    told = run_cli("renew", "-c", str(cfg), "--force", "--new-account")
    assert told.code == 0, told.output
    (path,) = (tmp_path / "certs" / "_accounts").iterdir()
    assert json.loads(path.read_text())["uri"] != url  # a new account, as asked
