"""Commands load on first use: ``--help`` and ``validate`` import no ACME, Azure or DNS stack."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import click
from click.testing import CliRunner

from renewer.cli.main import COMMANDS, main

REPO = Path(__file__).resolve().parents[3]
HEAVY = ("acme", "josepy", "azure", "dns", "requests", "cryptography")

PROBE = """
import json, sys
sys.argv = ["renewer", *sys.argv[1:]]
import renewer.cli
try:
    renewer.cli.main()
except SystemExit as done:
    code = done.code
print(json.dumps({"code": code, "modules": sorted({m.split(".")[0] for m in sys.modules})}))
"""

CONFIG = """\
acme:
  directory: https://acme.example/dir
store:
  type: keyvault
  vault_url: https://vault-v.vault.azure.net
dns:
  type: azure
  subscription_id: 00000000-0000-0000-0000-000000000000
  resource_group: rg
certificates:
  - name: a
    domains: [a.example.com]
"""


def _probe(*args: str) -> tuple[int, set[str], str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=env, cwd=REPO
    )
    last = proc.stdout.strip().splitlines()[-1]
    found = json.loads(last)
    return found["code"], set(found["modules"]), proc.stdout


def test_help_imports_no_heavy_stack() -> None:
    code, modules, out = _probe("--help")
    assert code == 0
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))
    for name in COMMANDS:
        assert f"  {name} " in out  # every command is still listed


def test_validate_imports_no_heavy_stack(tmp_path: Path) -> None:
    config = tmp_path / "certificates.yaml"
    config.write_text(CONFIG)
    code, modules, out = _probe("validate", "-c", str(config))
    assert code == 0, out
    assert "valid (1 certificates)" in out
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))


def test_bad_config_still_reports_file_line_col_without_the_stack(tmp_path: Path) -> None:
    config = tmp_path / "certificates.yaml"
    config.write_text(CONFIG.replace("a.example.com", "not a domain"))
    code, modules, _ = _probe("validate", "-c", str(config))
    assert code == 2
    assert not modules & {"acme", "josepy", "azure"}


def test_table_lines_match_the_commands_and_every_command_loads() -> None:
    for name, (module, short) in COMMANDS.items():
        importlib.import_module(module)
        command = main.commands[name]
        assert command.get_short_help_str(10_000) == short, name


def test_a_command_runs_and_shows_its_help_when_loaded_lazily() -> None:
    result = CliRunner().invoke(main, ["renew", "--help"])
    assert result.exit_code == 0, result.output
    assert "--concurrency" in result.output
    group = main.get_command(click.Context(main), "report")
    assert isinstance(group, click.Group) and "merge" in group.commands
    assert main.get_command(click.Context(main), "no-such-command") is None


# The import boundary of a run (issue 17): a configuration loads its own types' stacks only.
FULL_PROBE = PROBE.replace('sorted({m.split(".")[0] for m in sys.modules})', "sorted(sys.modules)")
RFC2136_DIRECTORY = """\
acme:
  directory: https://127.0.0.1:9/dir
store:
  type: directory
  path: ./certs
dns:
  type: rfc2136
  nameserver: 127.0.0.1:53
  tsig:
    name: renewer-key
    secret: env:TSIG_SECRET
    algorithm: hmac-sha256
certificates:
  - name: a
    domains: [a.example.test]
"""
OTHER_STACKS = (
    "azure",  # Key Vault, Azure DNS, sign-in SDKs
    "boto3",
    "botocore",
    "google",
    "cloudflare",
    "jsonschema",
    "renewer.azure",
    "renewer.stores.keyvault",
    "renewer.dns.providers.azure",
    "renewer.dns.providers.route53",
    "renewer.dns.providers.google",
    "renewer.dns.providers.cloudflare",
    "renewer.dns.providers.powerdns",
    "renewer.dns.providers.acmedns",
    "renewer.dns.providers.exec",
    "renewer.dns.providers.challtestsrv",
    "renewer.notify",  # no notify: targets configured
    "renewer.cli.notify",
    "renewer.verify",  # no endpoints configured
    "renewer.cli.verify",
    "renewer.publish.github_api",
    "renewer.dns.persist",  # dns-01: no dns-persist-01 standing records
    "renewer.execute.persist",
    "renewer.report.persist",
    "dns.resolver",  # the system resolver, loaded when a check has no nameservers to ask
)


def _modules(
    *args: str, cwd: Path = REPO, env: dict[str, str] | None = None
) -> tuple[int, set[str]]:
    run_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    proc = subprocess.run(
        [sys.executable, "-c", FULL_PROBE, *args],
        capture_output=True,
        text=True,
        env=run_env,
        cwd=cwd,
    )
    assert proc.stdout.strip(), proc.stderr
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    return found["code"], set(found["modules"])


def _loaded(modules: set[str], stacks: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == s or m.startswith(f"{s}.") for s in stacks))


def test_help_reads_no_config_tables_nor_distribution_metadata() -> None:
    code, modules = _modules("--help")
    assert code == 0
    assert not _loaded(modules, ("renewer.config", "importlib.metadata", "yaml", *HEAVY))


def test_a_dry_run_loads_only_the_configured_types(tmp_path: Path) -> None:
    (tmp_path / "certificates.yaml").write_text(RFC2136_DIRECTORY)
    code, modules = _modules(
        "renew",
        "--dry-run",
        "-c",
        "certificates.yaml",
        cwd=tmp_path,
        env={"TSIG_SECRET": "c2VjcmV0"},
    )
    assert code == 0
    assert "renewer.execute.executor" in modules  # it did reach the run, not a usage error
    assert not _loaded(modules, OTHER_STACKS), _loaded(modules, OTHER_STACKS)
