"""Account key rollover (RFC 8555 7.3.5) on real Pebble, and kill -9 between its steps.

The CLI runs as a subprocess behind the fault proxy (tests/rig/faultproxy.py),
which stalls one request kind unanswered: the account lookup (nothing stored
yet), keyChange before Pebble sees it (the new key stored as pending, the CA
still on the old one), or keyChange after Pebble switched (the answer never
arrives). The process is then killed with SIGKILL, as a cancelled runner or an
OOM kill would. Every time, the next ``renew`` issues with the same account
URL, no new account registered, with the key the CA holds.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from josepy.jwk import JWK
from rig import Challtestsrv, Fault, FaultProxy

from renewer.acme.client import AcmeAccount
from renewer.acme.keychange import account_answers, signed_by
from renewer.config.types.store_directory import DirectorySettings
from renewer.core.settings import AcmeSettings
from renewer.stores.directory import DirectoryStore
from tests.integration.runner import REPO, run_cli, write_config
from tests.integration.test_renew_e2e import challtestsrv_dns

pytestmark = pytest.mark.integration


def _setup(tmp_path: Path, proxy: FaultProxy, challtestsrv: Challtestsrv) -> Path:
    body = {
        "acme": {"directory": proxy.directory_url, "ca_bundle": str(proxy.ca_bundle)},
        "store": {"type": "directory", "path": str(tmp_path / "certs")},
        "dns": challtestsrv_dns(challtestsrv),
        "certificates": [{"name": "roll", "domains": ["roll.rollover.test"]}],
    }
    return write_config(tmp_path / "certificates.yaml", body)


def _account(tmp_path: Path) -> dict[str, Any]:
    (path,) = (tmp_path / "certs" / "_accounts").iterdir()
    body: dict[str, Any] = json.loads(path.read_text())
    return body


def _serial(tmp_path: Path) -> bytes:
    return (tmp_path / "certs" / "roll" / "cert.pem").read_bytes()


def _ca_accepts(tmp_path: Path, proxy: FaultProxy, key_json: str, uri: str) -> bool:
    """Whether the CA takes a POST-as-GET of the account signed by this key."""
    settings = AcmeSettings(directory=proxy.directory_url, ca_bundle=proxy.ca_bundle)
    account = AcmeAccount(settings, DirectoryStore(DirectorySettings(tmp_path / "probe")))
    account.before_register = lambda _why: None
    acme = account.client()  # a throwaway account of its own, for the session
    return account_answers(lambda key: signed_by(acme, key), uri)(JWK.json_loads(key_json))


def _first_issue(
    tmp_path: Path, challtestsrv: Challtestsrv, pebble_factory: Any, fault_proxy_factory: Any
) -> tuple[Path, FaultProxy, dict[str, Any]]:
    pebble = pebble_factory(dns_server=challtestsrv.dns_address)
    proxy: FaultProxy = fault_proxy_factory(pebble)
    cfg = _setup(tmp_path, proxy, challtestsrv)
    first = run_cli("renew", "-c", str(cfg))
    assert first.code == 0, first.output
    return cfg, proxy, _account(tmp_path)


def test_rollover_keeps_the_account_url_and_the_next_renew_uses_the_new_key(
    tmp_path: Path, challtestsrv: Challtestsrv, pebble_factory: Any, fault_proxy_factory: Any
) -> None:
    cfg, proxy, before = _first_issue(tmp_path, challtestsrv, pebble_factory, fault_proxy_factory)

    rolled = run_cli("account", "rollover", "-c", str(cfg), "--issuer", proxy.directory_url)
    assert rolled.code == 0, rolled.output
    assert f"{before['uri']} key rolled over" in rolled.stdout
    after = _account(tmp_path)
    assert after["uri"] == before["uri"] and after["key"] != before["key"]
    assert "pending_key" not in after
    assert len(proxy.requests_of("keyChange")) == 1
    assert json.loads(after["key"])["d"] not in rolled.output  # the private part never shown
    assert _ca_accepts(tmp_path, proxy, after["key"], after["uri"])
    assert not _ca_accepts(tmp_path, proxy, before["key"], after["uri"])

    issued = _serial(tmp_path)
    renewed = run_cli("renew", "-c", str(cfg), "--force")
    assert renewed.code == 0, renewed.output
    assert _serial(tmp_path) != issued
    assert _account(tmp_path) == after  # same key, same URL: no new account
    assert "registering a new ACME account" not in renewed.stderr


def test_rollover_names_an_unknown_issuer_as_a_usage_error(
    tmp_path: Path, challtestsrv: Challtestsrv, pebble_factory: Any, fault_proxy_factory: Any
) -> None:
    pebble = pebble_factory(dns_server=challtestsrv.dns_address)
    cfg = _setup(tmp_path, fault_proxy_factory(pebble), challtestsrv)
    wrong = run_cli("account", "rollover", "-c", str(cfg), "--issuer", "letsencrypt")
    assert wrong.code == 2 and "--issuer names no CA of this configuration" in wrong.stderr
    none = run_cli("account", "rollover", "-c", str(cfg))
    assert none.code == 1 and "nothing to roll over" in none.stdout
    assert not (tmp_path / "certs" / "_accounts").exists()  # nothing registered


def _kill_when_stalled(cfg: Path, proxy: FaultProxy, kind: str) -> None:
    """Start ``account rollover``; SIGKILL it once its ``kind`` request is stalled."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "renewer", "account", "rollover", "-c", str(cfg)],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        limit = time.monotonic() + 60
        while not any(k == kind for k, _ in proxy.stalled()):
            assert proc.poll() is None, f"rollover ended ({proc.returncode}) before {kind}"
            assert time.monotonic() < limit, f"no {kind} request within 60 s"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    proxy.clear()


@pytest.mark.parametrize(
    ("kind", "forward", "pending", "ca_switched"),
    [
        ("newAccount", False, False, False),  # killed looking the account up: nothing stored
        ("keyChange", False, True, False),  # new key stored as pending, CA not asked
        ("keyChange", True, True, True),  # CA switched, its answer never arrived
    ],
    ids=["before-pending", "pending-before-ca", "ca-answered-before-promote"],
)
def test_kill_9_during_rollover_leaves_a_working_account(
    tmp_path: Path,
    challtestsrv: Challtestsrv,
    pebble_factory: Any,
    fault_proxy_factory: Any,
    kind: str,
    forward: bool,
    pending: bool,
    ca_switched: bool,
) -> None:
    cfg, proxy, before = _first_issue(tmp_path, challtestsrv, pebble_factory, fault_proxy_factory)
    proxy.stall(kind, forward=forward)

    _kill_when_stalled(cfg, proxy, kind)

    killed = _account(tmp_path)
    assert killed["uri"] == before["uri"] and killed["key"] == before["key"]
    assert ("pending_key" in killed) is pending  # stored before the CA was asked
    if pending:
        holds = killed["pending_key"] if ca_switched else before["key"]
        assert _ca_accepts(tmp_path, proxy, holds, before["uri"])
        other = before["key"] if ca_switched else killed["pending_key"]
        assert not _ca_accepts(tmp_path, proxy, other, before["uri"])

    issued = _serial(tmp_path)
    renewed = run_cli("renew", "-c", str(cfg), "--force")
    assert renewed.code == 0, renewed.output
    assert _serial(tmp_path) != issued
    settled = _account(tmp_path)
    assert settled["uri"] == before["uri"]  # the same account: none registered
    assert "pending_key" not in settled
    assert settled["key"] == (killed["pending_key"] if ca_switched else before["key"])
    assert "registering a new ACME account" not in renewed.stderr
    if pending:
        outcome = "rollover completed" if ca_switched else "rollover abandoned"
        assert outcome in renewed.stderr

    again = run_cli("account", "rollover", "-c", str(cfg))  # and it can be rolled over later
    assert again.code == 0, again.output
    assert _account(tmp_path)["uri"] == before["uri"]


def test_a_refused_key_change_keeps_both_keys_until_the_next_run_settles(
    tmp_path: Path, challtestsrv: Challtestsrv, pebble_factory: Any, fault_proxy_factory: Any
) -> None:
    """No key is dropped on a refusal alone: the next run asks which one the CA holds."""
    cfg, proxy, before = _first_issue(tmp_path, challtestsrv, pebble_factory, fault_proxy_factory)
    proxy.inject(Fault("keyChange", 1, "unauthorized", status=403, detail="no rollover today"))

    refused = run_cli("account", "rollover", "-c", str(cfg))
    assert refused.code == 1
    assert "NOT rolled over: key change for" in refused.stdout
    assert "the CA refused: unauthorized: no rollover today" in refused.stdout
    kept = _account(tmp_path)
    assert kept["key"] == before["key"] and "pending_key" in kept
    assert _ca_accepts(tmp_path, proxy, before["key"], before["uri"])

    renewed = run_cli("renew", "-c", str(cfg), "--force")
    assert renewed.code == 0, renewed.output
    assert "rollover abandoned" in renewed.stderr
    assert _account(tmp_path) == {k: v for k, v in kept.items() if k != "pending_key"}
