"""``renewer verify`` as users run it: exit codes, formats, annotations, the schema."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from rig import TlsServer

from renewer.cli import main
from renewer.config.types.store_directory import DirectorySettings
from renewer.stores.directory import DirectoryStore
from tests.integration.runner import run_cli
from tests.verify.ca import ChainCA, issue, spec_for, version_files
from tests.verify.schemas import schema_validator

NAME = "www-example-test"
pytestmark = pytest.mark.integration  # subprocess runs of the CLI: seconds each


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[Path, DirectoryStore, list[str], TlsServer]]:
    """A config whose one certificate has two versions; a server serving the old one."""
    store = DirectoryStore(DirectorySettings(tmp_path / "certs"))
    ca = ChainCA()
    spec = spec_for(store.root, NAME, ("example.test",), ())
    old, new = issue(store, spec, ca), issue(store, spec, ca)
    assert old.version and new.version
    fullchain, _leaf, key = version_files(store, NAME, old.version)
    server = TlsServer(fullchain, key).start()
    body = {
        "acme": {"directory": "https://127.0.0.1:14000/dir"},
        "store": {"type": "directory", "path": str(store.root)},
        "dns": {"type": "challtestsrv", "url": "http://127.0.0.1:8055"},
        "certificates": [
            {
                "name": NAME,
                "domains": ["example.test"],
                "endpoints": [f"127.0.0.1:{server.port}"],
                "grace": "1s",
            },
            {"name": "no-endpoints", "domains": ["other.example.test"]},
        ],
    }
    config = tmp_path / "certificates.yaml"
    config.write_text(yaml.safe_dump(body, sort_keys=False))
    try:
        yield config, store, [old.version, new.version], server
    finally:
        server.stop()


def test_stale_past_grace_exits_1_and_json_follows_the_schema(
    setup: tuple[Path, DirectoryStore, list[str], TlsServer], tmp_path: Path
) -> None:
    config, _store, (old, new), server = setup
    time.sleep(1.1)  # past the 1 s grace since the current version was stored
    out = tmp_path / "verify.json"
    result = run_cli("verify", "-c", str(config), "--format", "json", "-o", str(out))
    assert result.code == 1, result.output
    assert "verify: 1 addresses, 0 ok, 1 failing (1 STALE)" in result.stderr
    body = json.loads(out.read_text())
    schema_validator("verify.schema.json").validate(body)
    (row,) = body["endpoints"]
    assert row["verdict"] == "stale" and row["ok"] is False
    assert row["endpoint"] == f"127.0.0.1:{server.port}" and row["sni"] == "example.test"
    assert row["served_version"] == old and row["store"]["version"] == new
    assert body["summary"]["stale"] == 1 and body["summary"]["failed"] == 1


def test_text_markdown_and_exit_0_within_grace(
    setup: tuple[Path, DirectoryStore, list[str], TlsServer], tmp_path: Path
) -> None:
    config, *_ = setup
    config.write_text(config.read_text().replace("grace: 1s", "grace: 2h"))
    text = run_cli("verify", "-c", str(config))
    assert text.code == 0, text.output
    assert "~ within grace" in text.stdout
    assert "previous version (renewed 0 min ago, within grace of 2h)" in text.stdout
    assert text.stdout.endswith("verify: 1 addresses, 1 ok, 0 failing (1 within grace)\n")
    markdown = run_cli("verify", "-c", str(config), "--format", "markdown")
    assert markdown.code == 0
    assert markdown.stdout.startswith("### renewer verify\n")
    assert "| `www-example-test` | 127.0.0.1:" in markdown.stdout
    assert "🕒 within grace" in markdown.stdout


def test_usage_and_config_errors_exit_2(
    setup: tuple[Path, DirectoryStore, list[str], TlsServer], tmp_path: Path
) -> None:
    config, *_ = setup
    unknown = run_cli("verify", "-c", str(config), "--only", "nope")
    assert unknown.code == 2 and "unknown certificate name(s): nope" in unknown.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text(config.read_text().replace("127.0.0.1:", "127.0.0.1:99999#"))
    broken = run_cli("verify", "-c", str(bad))
    assert broken.code == 2
    assert f"{bad}:14:5: certificates[0].endpoints[0]: '127.0.0.1:99999#" in broken.stderr
    assert "the port must be a number from 1 to 65535" in broken.stderr
    nothing = run_cli("verify", "-c", str(config), "--only", "no-endpoints")
    assert nothing.code == 0 and "nothing to verify" in nothing.stderr


def test_actions_annotation_escalates_like_a_failed_renewal(
    setup: tuple[Path, DirectoryStore, list[str], TlsServer], tmp_path: Path
) -> None:
    config, *_ = setup
    time.sleep(1.1)
    summary = tmp_path / "summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    result = CliRunner().invoke(main, ["verify", "-c", str(config)], env=env)
    assert result.exit_code == 1, result.output
    (line,) = [x for x in result.output.splitlines() if x.startswith("::")]
    assert line.startswith("::error title=renewer verify::www-example-test 127.0.0.1:")
    assert "STALE: serves serial" in line
    assert "[expires in 89 days (" in line and line.endswith(")]")  # escalation words
    assert "| ❌ STALE |" in summary.read_text()
