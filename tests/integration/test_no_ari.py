"""CAs without ARI or without the configured profile, against real step-ca and Pebble.

step-ca's directory has no ``renewalInfo`` and no ``meta.profiles``. A run
must fetch that directory once per account, say once that the CA offers no
renewal windows, put it in the plan reasons, and count only the renewal-info
questions really sent. A ``profile:`` the CA does not offer fails that
certificate at plan time, before any order. Requests are counted where the CA
sees them: step-ca's own request log, and a counting proxy in front of Pebble.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from rig import Bind, Challtestsrv, FaultProxy, Pebble, PebbleProfile, StepCa

from tests.integration.runner import run_cli
from tests.integration.test_renew_e2e import bind_dns, challtestsrv_dns, config

pytestmark = pytest.mark.integration

NO_WINDOWS = "the CA offers no renewal windows: renew at 1/3 of lifetime left"


def _count(ca: StepCa, path: str) -> int:
    """Requests step-ca logged for ``path`` (its log names each one ``path=...``)."""
    return len(re.findall(rf"path={re.escape(path)}\b", ca.log_text()))


def _by_name(stdout: str) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in json.loads(stdout)["certificates"]}


def test_step_ca_without_ari_is_noted_once_and_asked_nothing(
    tmp_path: Path, bind: Bind, stepca_factory: Any
) -> None:
    ca = stepca_factory(resolver=bind.dns_address)
    certs = [{"name": f"c{i}", "domains": [f"c{i}.example.test"]} for i in range(3)]
    cfg = config(tmp_path, ca, bind_dns(bind), certs)
    env = {"TSIG_SECRET": bind.secret}
    directory = "/acme/acme/directory"

    before = _count(ca, directory)
    issued = run_cli("-v", "renew", "-c", str(cfg), env=env)
    assert issued.code == 0, issued.output
    assert _count(ca, directory) - before == 1, "one directory fetch for the whole run"

    before = _count(ca, directory)
    plan = run_cli("-v", "plan", "-c", str(cfg), "--format", "json", env=env)
    assert plan.code == 0, plan.output
    assert _count(ca, directory) - before == 1, "one directory fetch for the whole plan"
    for name, entry in _by_name(plan.stdout).items():
        assert entry["action"] == "skip", (name, entry)
        assert NO_WINDOWS in entry["reason"], entry["reason"]
    assert "renewal info: 0 remembered in the store, 0 asked of the CA" in plan.stderr
    note = f"the CA at {ca.directory_url} offers no renewal windows"
    assert plan.stderr.count(note) == 1, plan.stderr
    assert "for 3 certificate(s)" in plan.stderr
    assert "renewalinfo" not in ca.log_text().lower()  # nothing was asked of it


def test_profile_step_ca_does_not_offer_fails_that_certificate_at_plan_time(
    tmp_path: Path, bind: Bind, stepca_factory: Any
) -> None:
    ca = stepca_factory(resolver=bind.dns_address)
    certs = [
        {"name": "plain", "domains": ["plain.example.test"]},
        {"name": "short", "domains": ["short.example.test"], "acme": {"profile": "shortlived"}},
    ]
    cfg = config(tmp_path, ca, bind_dns(bind), certs)
    env = {"TSIG_SECRET": bind.secret}
    why = "profile 'shortlived' is not offered by the CA (it offers no profiles)"

    plan = run_cli("plan", "-c", str(cfg), "--format", "json", env=env)
    assert plan.code == 1, plan.output  # a certificate of this plan would fail
    entries = _by_name(plan.stdout)
    assert entries["short"]["action"] == "issue"
    assert entries["short"]["reason"] == f"new certificate; fails: {why}"
    assert entries["plain"]["reason"] == "new certificate"

    text = run_cli("plan", "-c", str(cfg), env=env)
    assert text.code == 1 and f"fails: {why}" in text.stdout, text.output
    assert f"error: short: {why}" in text.stderr and "plain" not in text.stderr

    orders = _count(ca, "/acme/acme/new-order")
    run = run_cli("renew", "-c", str(cfg), "--report", str(tmp_path / "r.json"), env=env)
    assert run.code == 1, run.output
    report = {c["name"]: c for c in json.loads((tmp_path / "r.json").read_text())["certificates"]}
    assert report["plain"]["result"] == "succeeded"
    assert report["short"]["result"] == "failed" and report["short"]["error"] == why
    assert _count(ca, "/acme/acme/new-order") - orders == 1, "no order for the refused one"
    assert (tmp_path / "certs" / "plain" / "fullchain.pem").exists()
    assert not (tmp_path / "certs" / "short").exists()


def test_wrong_profile_on_pebble_fails_at_plan_time_and_ari_counts_what_is_sent(
    tmp_path: Path,
    challtestsrv: Challtestsrv,
    pebble_factory: Any,
    fault_proxy_factory: Any,
) -> None:
    pebble: Pebble = pebble_factory(
        dns_server=challtestsrv.dns_address,
        profiles={
            "classic": PebbleProfile("90 days", 7776000),
            "shortlived": PebbleProfile("6 days", 518400),
        },
    )
    proxy: FaultProxy = fault_proxy_factory(pebble)  # counts what reaches the CA
    certs = [
        {"name": "good", "domains": ["good.test"], "acme": {"profile": "shortlived"}},
        {"name": "typo", "domains": ["typo.test"], "acme": {"profile": "shortlivd"}},
    ]
    cfg = config(tmp_path, pebble, challtestsrv_dns(challtestsrv), certs)
    body = cfg.read_text().replace(pebble.directory_url, proxy.directory_url)
    cfg.write_text(body.replace(str(pebble.ca_bundle), str(proxy.ca_bundle)))
    why = "profile 'shortlivd' is not offered by the CA (offers: classic, shortlived)"

    plan = run_cli("plan", "-c", str(cfg), "--format", "json")
    assert plan.code == 1, plan.output
    assert _by_name(plan.stdout)["typo"]["reason"] == f"new certificate; fails: {why}"
    assert _by_name(plan.stdout)["good"]["reason"] == "new certificate"

    run = run_cli("renew", "-c", str(cfg))
    assert run.code == 1, run.output
    assert f"FAILED  typo: {why}" in run.stdout and "ok      good:" in run.stdout
    assert len(proxy.requests_of("newOrder")) == 1  # the refused one sent no order

    # Pebble has ARI: the window asked after issuance is remembered, so the plan asks
    # nothing; --refresh-renewal-info asks, and the log counts exactly the requests the CA saw.
    asked_before = len(proxy.requests_of("renewalInfo"))
    calm = run_cli("-v", "plan", "-c", str(cfg), "--only", "good")
    assert calm.code == 0, calm.output
    assert "renewal info: 1 remembered in the store, 0 asked of the CA" in calm.stderr
    assert len(proxy.requests_of("renewalInfo")) == asked_before
    fresh = run_cli("-v", "plan", "-c", str(cfg), "--only", "good", "--refresh-renewal-info")
    assert fresh.code == 0, fresh.output
    assert "renewal info: 0 remembered in the store, 1 asked of the CA" in fresh.stderr
    assert len(proxy.requests_of("renewalInfo")) == asked_before + 1
    assert "offers no renewal windows" not in calm.stderr + fresh.stderr
