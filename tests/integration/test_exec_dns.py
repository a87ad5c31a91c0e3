"""The exec provider: a real shell script (nsupdate into a real BIND), then Pebble.

The script is written the way lego's exec provider documents its default
mode, so passing here means a lego script works unchanged.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Any

import dns.query
import dns.update
import pytest
from rig import Bind

from renewer.config.types.dns_exec import ExecSettings
from renewer.core import redact
from renewer.dns.contract import DnsError
from renewer.dns.providers.exec import ExecProvider
from tests.integration.runner import run_cli, write_config
from tests.integration.test_renew_e2e import assert_chains_to_pebble, leaf, sans

pytestmark = pytest.mark.integration

NAME = "_acme-challenge.example.test."

# lego's exec convention: $1 present|cleanup, $2 the FQDN with its trailing dot, $3 the value.
NSUPDATE_HOOK = """#!/bin/sh
set -eu
action="$1" fqdn="$2" value="$3"
echo "$action $fqdn" >> "$HOOK_LOG"
case "$action" in
  present) op="update add $fqdn 60 TXT \\"$value\\"" ;;
  cleanup) op="update delete $fqdn TXT \\"$value\\"" ;;
  *) echo "unknown action: $action" >&2; exit 2 ;;
esac
printf 'server 127.0.0.1 %s\\nzone example.test.\\n%s\\nsend\\n' "$DNS_PORT" "$op" \\
  | nsupdate -y "hmac-sha256:$TSIG_NAME:$TSIG_SECRET"
echo "done: $action"
"""


def hook(folder: Path, text: str, name: str = "dns.sh") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    path.chmod(0o755)
    return path


HOOK_VARS = ("DNS_PORT", "TSIG_NAME", "TSIG_SECRET", "HOOK_LOG")  # dns.env: what it may see


def hook_env(bind: Bind, tmp_path: Path) -> dict[str, str]:
    return {
        "DNS_PORT": str(bind.port),
        "TSIG_NAME": bind.key_name,
        "TSIG_SECRET": bind.secret,
        "HOOK_LOG": str(tmp_path / "hook.log"),
    }


def add_foreign(bind: Bind, value: str) -> None:
    update = dns.update.UpdateMessage("example.test.", keyring=bind.keyring())
    update.add(NAME, 60, "TXT", f'"{value}"')
    dns.query.tcp(update, bind.address, port=bind.port, timeout=5)


def test_present_and_cleanup_one_value_via_nsupdate(
    tmp_path: Path, bind: Bind, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    for name, value in hook_env(bind, tmp_path).items():
        monkeypatch.setenv(name, value)
    add_foreign(bind, "foreign-value")
    provider = ExecProvider(
        ExecSettings(hook(tmp_path / "hooks", NSUPDATE_HOOK), timeout=20, env=HOOK_VARS)
    )
    caplog.set_level(logging.INFO, logger="renewer.dns.providers.exec")
    provider.present("_acme-challenge.example.test", "apex-value")  # made absolute for the script
    provider.present(NAME, "wildcard-value")
    assert bind.txt_values(NAME) == ["apex-value", "foreign-value", "wildcard-value"]
    provider.cleanup(NAME, "apex-value")
    provider.cleanup(NAME, "wildcard-value")
    assert bind.txt_values(NAME) == ["foreign-value"]
    calls = (tmp_path / "hook.log").read_text().splitlines()
    assert calls == [f"present {NAME}", f"present {NAME}", f"cleanup {NAME}", f"cleanup {NAME}"]
    assert "stdout: done: present" in caplog.text


def test_failure_and_output_are_masked(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    secret = "hunter2-exec-secret-value"
    redact.register(secret)
    script = hook(
        tmp_path,
        f'#!/bin/sh\necho "token is {secret}"\necho "API said no to {secret}" >&2\nexit 3\n',
    )
    caplog.set_level(logging.INFO, logger="renewer.dns.providers.exec")
    with pytest.raises(DnsError) as failed:
        ExecProvider(ExecSettings(script)).present(NAME, "v")
    message = str(failed.value)  # the report's words: the status and a fixed sentence
    assert message == (
        f"exec {script} present {NAME}: exited with status 3 (its output is in the run's log only)"
    )
    assert secret not in caplog.text and "token is ***" in caplog.text
    assert "stderr: API said no to ***" in caplog.text  # the reason, in the log

    with pytest.raises(DnsError, match=r"cannot start the program .*chmod \+x"):
        ExecProvider(ExecSettings(tmp_path / "missing.sh")).present(NAME, "v")


def test_timeout_kills_the_process_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    script = hook(tmp_path, f'#!/bin/sh\nsleep 300 &\necho $! > "{pid_file}"\nwait\n')
    started = time.monotonic()
    with pytest.raises(DnsError, match=r"no answer within 1s; the process group was killed"):
        ExecProvider(ExecSettings(script, timeout=1)).present(NAME, "v")
    assert time.monotonic() - started < 10
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{child}/stat").read_text().split()[2]
        except FileNotFoundError:
            break
        if state == "Z":  # killed, waiting to be reaped by init
            break
        time.sleep(0.05)
    else:
        os.kill(child, 9)  # do not leave it behind, then fail
        pytest.fail("the script's child survived the timeout")


def test_apex_and_wildcard_certificate_through_pebble(
    tmp_path: Path, bind: Bind, pebble_factory: Any
) -> None:
    add_foreign(bind, "foreign-value")
    hook(tmp_path / "hooks", NSUPDATE_HOOK)
    pebble = pebble_factory(dns_server=bind.dns_address)
    body = {
        "acme": {"directory": pebble.directory_url, "ca_bundle": str(pebble.ca_bundle)},
        "store": {"type": "directory", "path": str(tmp_path / "certs")},
        "dns": {
            "type": "exec",
            "program": "./hooks/dns.sh",  # relative to the config file, not the cwd
            "timeout": "30s",
            "env": list(HOOK_VARS),
            "propagation": {
                "nameservers": [bind.dns_address],
                "timeout": "20s",
                "interval": "0.1s",
            },
        },
        "certificates": [{"name": "wild", "domains": ["example.test", "*.example.test"]}],
    }
    cfg = write_config(tmp_path / "certificates.yaml", body)
    env = {**hook_env(bind, tmp_path), "RENEWER_LOG_LEVEL": "INFO"}
    result = run_cli("renew", "-c", str(cfg), "--report", str(tmp_path / "r.json"), env=env)
    assert result.code == 0, result.output
    assert sans(leaf(tmp_path, "wild")) == {"example.test", "*.example.test"}
    assert_chains_to_pebble(tmp_path, "wild", pebble)
    assert json.loads((tmp_path / "r.json").read_text())["certificates"][0]["result"] == (
        "succeeded"
    )
    assert bind.txt_values(NAME) == ["foreign-value"]
    assert sorted((tmp_path / "hook.log").read_text().splitlines()) == [
        f"cleanup {NAME}",
        f"cleanup {NAME}",
        f"present {NAME}",
        f"present {NAME}",
    ]
    assert "stdout: done: present" in result.stderr  # the script's output is logged


def test_validate_reports_a_program_that_is_not_executable(tmp_path: Path) -> None:
    (tmp_path / "hooks").mkdir()
    (tmp_path / "hooks" / "dns.sh").write_text("#!/bin/sh\n")
    cfg = tmp_path / "certificates.yaml"
    cfg.write_text(
        "acme: {directory: letsencrypt-staging}\n"
        "store: {type: directory}\n"
        "dns:\n"
        "  type: exec\n"
        "  program: ./hooks/dns.sh\n"
        "certificates: [{name: a, domains: [a.example.com]}]\n"
    )
    result = run_cli("validate", "-c", str(cfg))
    assert result.code == 2, result.output
    assert f"{cfg}:5:12: dns.program: file " in result.output
    assert "is not executable (chmod +x it)" in result.output
