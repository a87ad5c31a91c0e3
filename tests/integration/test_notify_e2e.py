"""Notifications end to end through the CLI: Pebble issues, challtestsrv serves DNS-01.

A sharded run (two ``renew --shard`` jobs, ``report merge``, ``report publish``
against the GitHub stand-in) with one failing certificate sends exactly one
Teams card, one Slack message, one mail and one webhook event, from publish,
none from the shards. A dead endpoint leaves a green run green, with a
warning on stderr, an Actions annotation and a line in the summary.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from rig import Challtestsrv, GitHubStandIn, Pebble, TlsMaterial, free_port
from rig.notify_sink import NotifySink
from rig.smtp import SmtpServer

from renewer.plan.shard import shard_of
from tests.integration.runner import REPO, CliResult, run_cli
from tests.integration.test_github_reports import gh_env
from tests.integration.test_notify_delivery import (
    assert_no_secrets,
    check_deliveries,
    notify_config,
    secret_env,
    teams_sink,
)

pytestmark = pytest.mark.integration
__all__ = ["teams_sink"]  # the fixture, imported for this module's tests

GOOD, BAD = "www-contoso-com", "api-contoso-com"


def config(tmp_path: Path, pebble: Pebble, dns: Challtestsrv, notify: list[dict[str, Any]]) -> Path:
    dead_dns = {"type": "challtestsrv", "url": f"http://127.0.0.1:{free_port()}"}
    body = {
        "acme": {"directory": pebble.directory_url, "ca_bundle": str(pebble.ca_bundle)},
        "store": {"type": "directory", "path": str(tmp_path / "certs")},
        "dns": {
            "type": "challtestsrv",
            "url": dns.management_url,
            "propagation": {"nameservers": [dns.dns_address], "timeout": "20s", "interval": "0.1s"},
        },
        "notify": notify,
        "certificates": [
            {"name": GOOD, "domains": ["www.contoso.test"]},
            {"name": BAD, "domains": ["api.contoso.test"], "dns": dead_dns},  # DNS API down
        ],
    }
    path = tmp_path / "certificates.yaml"
    path.write_text(yaml.safe_dump(body, sort_keys=False))
    return path


def test_a_failing_certificate_in_a_sharded_run_is_told_once_per_target(
    tmp_path: Path,
    challtestsrv: Challtestsrv,
    pebble_factory: Any,
    github_api: GitHubStandIn,
    notify_sink: NotifySink,
    teams_sink: NotifySink,
    smtp_server: SmtpServer,
    tls_root: TlsMaterial,
) -> None:
    assert {shard_of(GOOD, 2), shard_of(BAD, 2)} == {1, 2}  # one certificate per shard
    pebble = pebble_factory(dns_server=challtestsrv.dns_address)
    cfg = config(tmp_path, pebble, challtestsrv, notify_config(notify_sink, smtp_server, tls_root))
    env = {**gh_env(github_api, tmp_path), **secret_env(notify_sink, teams_sink)}
    outputs: list[str] = []
    codes = []
    for index in (1, 2):
        shard = run_cli(
            "renew",
            "-c",
            str(cfg),
            "--shard",
            f"{index}/2",
            "--cert-deadline",
            "15",
            "--report",
            str(tmp_path / f"r{index}.json"),
            env=env,
        )
        codes.append(shard.code)
        outputs += [shard.stdout, shard.stderr]
    assert sorted(codes) == [0, 1], outputs
    assert notify_sink.received == teams_sink.received == smtp_server.mails == []  # shards: silent
    merged = run_cli(
        "report",
        "merge",
        str(tmp_path / "r1.json"),
        str(tmp_path / "r2.json"),
        "-o",
        str(tmp_path / "merged.json"),
    )
    assert merged.code == 0, merged.output
    published = run_cli(
        "report",
        "publish",
        "--report",
        str(tmp_path / "merged.json"),
        "-c",
        str(cfg),
        "--summary",
        str(tmp_path / "summary.md"),
        env=env,
        timeout=90,
    )
    assert published.code == 0, published.output
    assert "tracking issue #1: opened" in published.stdout
    payloads = check_deliveries(notify_sink, teams_sink, smtp_server, [BAD])
    run = f"https://github.invalid/{github_api.repository}/actions/runs/4242"
    issue = f"https://github.invalid/{github_api.repository}/issues/1"
    card = json.loads(payloads[0])["attachments"][0]["content"]
    assert [a["url"] for a in card["actions"]] == [run, issue]
    event = json.loads(payloads[2])
    assert event["run"] == {
        "url": run,
        "repository": github_api.repository,
        "tracking_issue": issue,
    }
    assert event["certificates"][0]["result"] == "failed"
    assert event["counts"]["failed"] == 1 and event["counts"]["succeeded"] == 1
    summary = (tmp_path / "summary.md").read_text() + (tmp_path / "step-summary.md").read_text()
    assert_no_secrets(*outputs, published.stdout, published.stderr, summary, *payloads)


def run_in_actions(*args: str, env: dict[str, str]) -> CliResult:
    """run_cli drops GITHUB_ACTIONS; this keeps it, to see the annotations."""
    full = {**os.environ, "PYTHONPATH": str(REPO), **env, "GITHUB_ACTIONS": "true"}
    proc = subprocess.run(
        [sys.executable, "-m", "renewer", *args],
        capture_output=True,
        text=True,
        env=full,
        timeout=240,
        cwd=REPO,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def test_a_dead_endpoint_leaves_the_run_green_with_a_warning(
    tmp_path: Path, challtestsrv: Challtestsrv, pebble_factory: Any
) -> None:
    pebble = pebble_factory(dns_server=challtestsrv.dns_address)
    dead = f"http://127.0.0.1:{free_port()}/hook"
    cfg = config(tmp_path, pebble, challtestsrv, [{"type": "webhook", "url": dead, "on": ["all"]}])
    summary, step = tmp_path / "summary.md", tmp_path / "step.md"
    result = run_in_actions(
        "renew",
        "-c",
        str(cfg),
        "--only",
        GOOD,
        "--summary",
        str(summary),
        env={"GITHUB_STEP_SUMMARY": str(step), "RENEWER_NOTIFY_BACKOFF": "0.05"},
    )
    assert result.code == 0, result.output
    assert "1 succeeded, 0 failed" in result.stdout
    warning = "notification to webhook failed: cannot connect (ConnectionError)"
    assert f"warning: {warning}" in result.stderr
    assert f"::warning title=renewer notify::{warning}" in result.stdout
    for path in (summary, step):
        assert f"> **warning**: `{warning}" in path.read_text()  # outside text, a code span
    assert dead not in result.output
