"""DNS-01 details on real servers: CNAME delegation, cancellation cleanup, secrets."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from rig import Bind, Challtestsrv, PebbleProfile, Resolver

from tests.integration.runner import REPO, run_cli
from tests.integration.test_renew_e2e import bind_dns, challtestsrv_dns, config, leaf, sans

pytestmark = pytest.mark.integration


def test_cname_delegated_challenge(
    tmp_path: Path, bind: Bind, resolver: Resolver, pebble_factory: Any
) -> None:
    # _acme-challenge.alias.example.test is a CNAME into delegated.test (rig default zones);
    # Pebble resolves through a recursive resolver, as a real CA does.
    pebble = pebble_factory(dns_server=resolver.dns_address)
    cfg = config(
        tmp_path, pebble, bind_dns(bind), [{"name": "alias", "domains": ["alias.example.test"]}]
    )
    result = run_cli("-v", "renew", "-c", str(cfg), env={"TSIG_SECRET": bind.secret})
    assert result.code == 0, result.output
    assert sans(leaf(tmp_path, "alias")) == {"alias.example.test"}
    assert bind.txt_values("_acme-challenge.delegated.test.") == []


def test_profile_selected_and_unknown_profile_refused(
    tmp_path: Path, challtestsrv: Challtestsrv, pebble_factory: Any
) -> None:
    pebble = pebble_factory(
        dns_server=challtestsrv.dns_address,
        profiles={
            "classic": PebbleProfile("90 days", 7776000),
            "shortlived": PebbleProfile("6 days", 518400),
        },
    )
    dns = challtestsrv_dns(challtestsrv)
    cfg = config(
        tmp_path,
        pebble,
        dns,
        [
            {"name": "short", "domains": ["short.test"], "acme": {"profile": "shortlived"}},
            {"name": "typo", "domains": ["typo.test"], "acme": {"profile": "shortlivd"}},
        ],
    )
    result = run_cli("renew", "-c", str(cfg))
    assert result.code == 1
    cert = leaf(tmp_path, "short")
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days == 5  # 6 days minus 1 s
    assert (
        "profile 'shortlivd' is not offered by the CA (offers: classic, shortlived)"
        in result.stdout
    )


def test_interrupt_during_propagation_cleans_up(
    tmp_path: Path, bind: Bind, challtestsrv: Challtestsrv, pebble_factory: Any
) -> None:
    pebble = pebble_factory(dns_server=bind.dns_address)
    dns = bind_dns(bind)
    # Poll a server that never gets the value, so the run waits until interrupted.
    dns["propagation"] = {
        "nameservers": [challtestsrv.dns_address],
        "timeout": "120s",
        "interval": "0.2s",
    }
    cfg = config(
        tmp_path, pebble, dns, [{"name": "slow", "domains": ["example.test", "*.example.test"]}]
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), "TSIG_SECRET": bind.secret}
    proc = subprocess.Popen(
        [sys.executable, "-m", "renewer", "renew", "-c", str(cfg)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )
    try:
        deadline = time.monotonic() + 30
        while len(bind.txt_values("_acme-challenge.example.test.")) < 2:
            assert time.monotonic() < deadline, "TXT values never published"
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1, out + err
    assert "cancelled" in out
    assert bind.txt_values("_acme-challenge.example.test.") == []
    assert "Traceback" not in out + err


def test_debug_logs_never_show_the_tsig_secret_or_keys(
    tmp_path: Path, bind: Bind, pebble_factory: Any
) -> None:
    pebble = pebble_factory(dns_server=bind.dns_address)
    cfg = config(tmp_path, pebble, bind_dns(bind), [{"name": "s", "domains": ["example.test"]}])
    result = run_cli(
        "-vv",
        "renew",
        "-c",
        str(cfg),
        "--report",
        str(tmp_path / "r.json"),
        "--summary",
        str(tmp_path / "s.md"),
        env={"TSIG_SECRET": bind.secret},
    )
    assert result.code == 0, result.output
    written = (tmp_path / "r.json").read_text() + (tmp_path / "s.md").read_text()
    for text in (result.stdout, result.stderr, written):
        assert bind.secret not in text
        assert "PRIVATE KEY" not in text
        assert '"d":' not in text  # a private JWK member
    assert "DEBUG" in result.stderr  # the scan looked at real debug output


def test_broken_config_exits_2_before_any_network(tmp_path: Path) -> None:
    # A listening socket stands where the CA and DNS would be: no connection may arrive.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        cfg = tmp_path / "bad.yaml"
        cfg.write_text(
            f"acme: {{directory: '{url}/dir'}}\n"
            "store: {type: directory}\n"
            f"dns: {{type: challtestsrv, url: '{url}'}}\n"
            "certificates:\n"
            "  - name: ok\n"
            "    domains: [a.test]\n"
            "  - name: bad_name\n"
            "    domainz: [b.test]\n"
        )
        for command in ("validate", "plan", "renew"):
            result = run_cli(command, "-c", str(cfg))
            assert result.code == 2, (command, result.output)
            assert f"{cfg}:7:11:" in result.stderr
            assert f"{cfg}:8:5:" in result.stderr
            assert "did you mean 'domains'" in result.stderr
        with pytest.raises(BlockingIOError):
            listener.accept()
