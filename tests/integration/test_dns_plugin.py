"""Third-party DNS providers: the example plugin package, really installed, through Pebble.

examples/dns-plugin is built and installed with pip into a folder of its own
(``--target``); the CLI subprocess gets that folder on its path, so
importlib.metadata sees the package's ``renewer.dns_providers`` entry point
exactly as it would in a virtualenv. The test process itself never sees it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import dns.query
import dns.update
import pytest
from rig import Bind

from tests.integration.runner import REPO, CliResult, run_cli, write_config
from tests.integration.test_renew_e2e import assert_chains_to_pebble, leaf, sans

pytestmark = pytest.mark.integration

NAME = "_acme-challenge.example.test."
EXAMPLE = REPO / "examples" / "dns-plugin"


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example plugin installed by pip into a target folder (no network: no deps, no
    build isolation; setuptools and dnspython are already installed)."""
    source = tmp_path_factory.mktemp("plugin-src") / "dns-plugin"
    shutil.copytree(EXAMPLE, source)  # the build writes egg-info next to the sources
    target = tmp_path_factory.mktemp("plugin-site")
    installed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--target",
            str(target),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert list(target.glob("renewer_dns_example-*.dist-info/entry_points.txt"))
    return target


def with_plugin(plugin_path: Path, **env: str) -> dict[str, str]:
    return {"PYTHONPATH": f"{REPO}:{plugin_path}", **env}


def plugin_dns(bind: Bind) -> dict[str, Any]:
    return {
        "type": "example-nsupdate",
        "server": bind.dns_address,
        "zone": "example.test",
        "key_name": bind.key_name,
        "key_secret": "env:NSUPDATE_SECRET",
        "propagation": {"nameservers": [bind.dns_address], "timeout": "20s", "interval": "0.1s"},
    }


def config(tmp_path: Path, pebble: Any, dns_section: dict[str, Any], certs: list[Any]) -> Path:
    body = {
        "acme": {"directory": pebble.directory_url, "ca_bundle": str(pebble.ca_bundle)},
        "store": {"type": "directory", "path": str(tmp_path / "certs")},
        "dns": dns_section,
        "certificates": certs,
    }
    return write_config(tmp_path / "certificates.yaml", body)


def renew(cfg: Path, env: dict[str, str], report: Path) -> CliResult:
    return run_cli("renew", "-c", str(cfg), "--report", str(report), env=env)


def test_validate_knows_installed_plugins_only(tmp_path: Path, plugin_path: Path) -> None:
    cfg = tmp_path / "certificates.yaml"
    cfg.write_text(
        "acme: {directory: letsencrypt-staging}\n"
        "store: {type: directory}\n"
        "dns:\n"
        "  type: example-nsupdate\n"
        "  server: 127.0.0.1:53\n"
        "  key_secret: env:NSUPDATE_SECRET\n"
        "certificates: [{name: a, domains: [a.example.com]}]\n"
    )
    without = run_cli("validate", "-c", str(cfg), env={"NSUPDATE_SECRET": "x"})
    assert without.code == 2
    assert f"{cfg}:4:9: dns.type: unknown DNS type 'example-nsupdate' (installed: azure," in (
        without.output
    )
    unset = run_cli("validate", "-c", str(cfg), env=with_plugin(plugin_path))
    assert unset.code == 2
    assert f"{cfg}:6:15: dns.key_secret: environment variable NSUPDATE_SECRET is not set" in (
        unset.output
    ), unset.output
    ok = run_cli("validate", "-c", str(cfg), env=with_plugin(plugin_path, NSUPDATE_SECRET="x"))
    assert ok.code == 0, ok.output


def test_apex_and_wildcard_through_the_plugin_and_a_broken_sibling(
    tmp_path: Path, bind: Bind, pebble_factory: Any, plugin_path: Path
) -> None:
    update = dns.update.UpdateMessage("example.test.", keyring=bind.keyring())
    update.add(NAME, 60, "TXT", '"foreign-value"')
    dns.query.tcp(update, bind.address, port=bind.port, timeout=5)
    pebble = pebble_factory(dns_server=bind.dns_address)
    broken = {**plugin_dns(bind), "zone": None}  # the plugin itself rejects this
    cfg = config(
        tmp_path,
        pebble,
        plugin_dns(bind),
        [
            {"name": "wild", "domains": ["example.test", "*.example.test"]},
            {"name": "broken", "domains": ["www.example.test"], "dns": broken},
        ],
    )
    env = with_plugin(plugin_path, NSUPDATE_SECRET=bind.secret)
    result = renew(cfg, env, tmp_path / "r.json")
    assert result.code == 1, result.output  # one certificate failed, the other was issued
    assert sans(leaf(tmp_path, "wild")) == {"example.test", "*.example.test"}
    assert_chains_to_pebble(tmp_path, "wild", pebble)
    results = {c["name"]: c for c in json.loads((tmp_path / "r.json").read_text())["certificates"]}
    assert results["wild"]["result"] == "succeeded"
    assert results["broken"]["result"] == "failed"
    assert (
        "DNS plugin 'example-nsupdate' rejected its settings: ValueError: missing settings: zone"
        in (result.output)
    )
    assert bind.txt_values(NAME) == ["foreign-value"]
    assert bind.secret not in result.output
