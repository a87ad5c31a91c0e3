"""CAA on the real rig: records served by challtestsrv (``/add-caa``) and BIND zone files.

Pebble itself does not check CAA (v2.10.3 has no CAA code in its VA; it only
publishes ``meta.caaIdentities``, by default ``pebble.letsencrypt.org``), so
a certificate that fails here was failed by renewer, before any DNS write.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from rig import Bind, Challtestsrv
from rig.bind import Record, Zone, cname

from renewer.core.settings import PropagationSettings
from renewer.dns.caa import CaaResolver
from renewer.dns.caa_policy import evaluate
from tests.integration.runner import run_cli
from tests.integration.test_renew_e2e import challtestsrv_dns, config

pytestmark = pytest.mark.integration

PEBBLE = "pebble.letsencrypt.org"  # Pebble's default caaIdentities


def test_a_forbidding_caa_record_fails_that_certificate_first_and_the_others_are_issued(
    tmp_path: Path, challtestsrv: Challtestsrv, pebble_factory: Any
) -> None:
    pebble = pebble_factory(dns_server=challtestsrv.dns_address)
    assert pebble.directory()["meta"]["caaIdentities"] == [PEBBLE]
    challtestsrv.add_caa("caa.test.", ("issue", PEBBLE))  # allows Pebble for the zone...
    challtestsrv.add_caa("no.caa.test.", ("issue", "other-ca.example"))  # ...not below here
    challtestsrv.add_caa("http.caa.test.", ("issue", f"{PEBBLE}; validationmethods=http-01"))
    # An alias is governed by its CNAME target's set.
    challtestsrv.set_cname("alias.caa.test.", "target.elsewhere.test.")
    challtestsrv.add_caa("target.elsewhere.test.", ("issue", "pki.goog"))
    certs = [
        {"name": "ok", "domains": ["ok.caa.test", "deep.ok.caa.test"]},
        {"name": "no", "domains": ["www.no.caa.test"]},
        {"name": "http", "domains": ["http.caa.test"]},
        {"name": "alias", "domains": ["alias.caa.test"]},
    ]
    cfg = config(tmp_path, pebble, challtestsrv_dns(challtestsrv), certs)
    started = time.monotonic()
    result = run_cli("renew", "-c", str(cfg), "--report", str(tmp_path / "r.json"))
    assert result.code == 1, result.output
    report = {c["name"]: c for c in json.loads((tmp_path / "r.json").read_text())["certificates"]}
    assert report["ok"]["result"] == "succeeded"
    for name in ("no", "http", "alias"):
        assert report[name]["result"] == "failed"
        assert report[name]["error"].startswith("CAA forbids issuance"), report[name]["error"]
    assert "CAA at no.caa.test does not allow pebble.letsencrypt.org" in report["no"]["error"]
    assert '0 issue "other-ca.example"' in report["no"]["error"]
    assert "validationmethods=http-01 excludes dns-01" in report["http"]["error"]
    assert "CAA at alias.caa.test does not allow" in report["alias"]["error"]
    assert '0 issue "pki.goog"' in report["alias"]["error"]
    assert time.monotonic() - started < 20  # seconds, not a propagation wait per name
    # No TXT value was ever written for the refused names; the issued one wrote its two.
    written = challtestsrv.txt_writes()
    assert sorted(written) == ["_acme-challenge.deep.ok.caa.test.", "_acme-challenge.ok.caa.test."]

    # The plan says it ahead, as advice (it changes nothing).
    plan = run_cli("plan", "-c", str(cfg))
    assert plan.code == 0, plan.output
    assert "no: www.no.caa.test: CAA at no.caa.test does not allow" in plan.stderr
    assert "(the run fails it)" in plan.stderr

    # doctor: one line per certificate, the forbidding ones failed with the record.
    doctor = run_cli("doctor", "-c", str(cfg))
    assert doctor.code == 1, doctor.output
    assert f"✓ CAA ok: allows {PEBBLE} for 2 name(s)" in doctor.stdout
    assert "✗ CAA no: www.no.caa.test: CAA at no.caa.test does not allow" in doctor.stdout
    assert "✗ CAA alias:" in doctor.stdout and "✗ CAA http:" in doctor.stdout

    # renewer caa: the record to publish per zone, with the account the store keeps.
    url = json.loads(next((tmp_path / "certs" / "_accounts").iterdir()).read_text())["uri"]
    shown = run_cli("caa", "-c", str(cfg))
    assert shown.code == 0, shown.output
    assert (
        f'caa.test.\t3600\tIN\tCAA\t0 issue "{PEBBLE}; accounturi={url}; validationmethods=dns-01"'
    ) in shown.stdout


def test_accounturi_pins_the_account_renewer_keeps(
    tmp_path: Path, challtestsrv: Challtestsrv, pebble_factory: Any
) -> None:
    pebble = pebble_factory(dns_server=challtestsrv.dns_address)
    certs = [{"name": "pin", "domains": ["pin.acct.test"]}]
    cfg = config(tmp_path, pebble, challtestsrv_dns(challtestsrv), certs)
    assert run_cli("renew", "-c", str(cfg)).code == 0
    account = json.loads(next((tmp_path / "certs" / "_accounts").iterdir()).read_text())
    url = account["uri"]

    challtestsrv.add_caa("acct.test.", ("issue", f"{PEBBLE}; accounturi={url}-other"))
    forced = run_cli("renew", "-c", str(cfg), "--force", "--report", str(tmp_path / "r.json"))
    assert forced.code == 1
    error = json.loads((tmp_path / "r.json").read_text())["certificates"][0]["error"]
    assert f"accounturi={url}-other is not this account ({url})" in error

    challtestsrv.clear_caa("acct.test.")
    challtestsrv.add_caa(
        "acct.test.", ("issue", f"{PEBBLE}; accounturi={url}; validationmethods=dns-01")
    )
    assert run_cli("renew", "-c", str(cfg), "--force").code == 0


def test_bind_zone_records_climbing_and_a_cname_into_another_zone(bind_caa: Bind) -> None:
    resolver = CaaResolver(PropagationSettings(nameservers=(bind_caa.dns_address,)))
    found = resolver.relevant("a.b.shop.test")
    assert found.owner == "shop.test."
    assert {r.text() for r in found.records} == {f'0 issue "{PEBBLE}"', '128 tbs "unknown"'}
    assert evaluate(found, [PEBBLE], None).allowed is False  # the critical unknown tag
    own = resolver.relevant("*.sub.shop.test")
    assert own.owner == "sub.shop.test."
    assert evaluate(own, [PEBBLE], None, wildcard=True).allowed is False  # issuewild ";"
    assert evaluate(own, [PEBBLE], None).allowed is True
    alias = resolver.relevant("www.shop.test")  # CNAME to cdn.delegated.test. (other zone)
    assert alias.owner == "www.shop.test."
    assert [r.text() for r in alias.records] == ['0 issue "cdn-ca.example"']
    nothing = resolver.relevant("example.test")
    assert nothing.owner is None and nothing.records == ()


@pytest.fixture
def bind_caa(tmp_path_factory: pytest.TempPathFactory) -> Any:
    zones = (
        Zone(
            "shop.test.",
            (
                Record("@", "CAA", f'0 issue "{PEBBLE}"'),
                Record("@", "CAA", '128 tbs "unknown"'),
                Record("sub", "CAA", f'0 issue "{PEBBLE}"'),
                Record("sub", "CAA", '0 issuewild ";"'),
                cname("www", "cdn.delegated.test."),
            ),
        ),
        Zone("delegated.test.", (Record("cdn", "CAA", '0 issue "cdn-ca.example"'),)),
        Zone("example.test."),
    )
    with Bind(tmp_path_factory.mktemp("bind-caa"), zones=zones) as server:
        yield server
