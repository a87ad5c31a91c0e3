"""Everything a run will write is checked before anyone is contacted.

A listener stands in for the CA and the DNS provider and counts connections;
every unwritable output (a missing folder, a directory, /dev/full, a
read-only file, $GITHUB_STEP_SUMMARY in a missing folder) must stop the
command with exit 2 and one located line, with no connection made and the
store folder never created. A write that still fails after the work (the
folder removed while the run was ordering) puts the report on stderr, exit 1.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.integration.runner import CliResult, run_cli
from tests.resilience.common import make_config
from tests.unit.local_ca import LocalCA

pytestmark = [pytest.mark.resilience, pytest.mark.integration]


class Listener:
    """Accepts TCP connections on 127.0.0.1, counts them, runs ``on_connect``, closes them."""

    def __init__(self, on_connect: Callable[[], None] = lambda: None) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.on_connect = on_connect
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            self.on_connect()
            conn.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


def config(tmp_path: Path, port: int) -> Path:
    bundle = tmp_path / "ca.pem"
    from cryptography.hazmat.primitives import serialization

    bundle.write_bytes(LocalCA().cert.public_bytes(serialization.Encoding.PEM))
    dns = {
        "type": "challtestsrv",
        "url": f"http://127.0.0.1:{port}",
        "propagation": {"nameservers": [f"127.0.0.1:{port}"], "timeout": "2s"},
    }
    certs = [{"name": "c0", "domains": ["c0.example.test"]}]
    return make_config(tmp_path, f"https://127.0.0.1:{port}/dir", bundle, dns, certs)


def outputs(tmp_path: Path) -> dict[str, tuple[list[str], dict[str, str], str]]:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    readonly = tmp_path / "readonly.json"
    readonly.write_text("")
    readonly.chmod(0o444)
    missing = str(tmp_path / "missing" / "r.json")
    return {
        "report-missing-folder": (["--report", missing], {}, "does not exist"),
        "report-dev-full": (["--report", "/dev/full"], {}, "not a regular file"),
        "report-directory": (["--report", str(folder)], {}, "is a directory"),
        "summary-missing-folder": (["--summary", missing], {}, "does not exist"),
        "summary-under-a-file": (["--summary", f"{readonly}/x.md"], {}, "is not a folder"),
        "step-summary-missing": ([], {"GITHUB_STEP_SUMMARY": missing}, "does not exist"),
        "step-summary-dev-full": ([], {"GITHUB_STEP_SUMMARY": "/dev/full"}, "regular file"),
    }


def located(result: CliResult, option: str, words: str) -> None:
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert result.code == 2, result.output
    assert len(lines) == 1 and option in lines[0] and words in lines[0], result.stderr
    assert "Traceback" not in result.output


def test_unwritable_outputs_stop_renew_before_any_contact(
    tmp_path: Path, listener: Listener
) -> None:
    cfg = config(tmp_path, listener.port)
    for case, (args, env, words) in outputs(tmp_path).items():
        result = run_cli("renew", "-c", str(cfg), "--force", *args, env=env)
        option = args[0] if args else "$GITHUB_STEP_SUMMARY"
        located(result, option, words)
        assert listener.connections == 0, case
        assert not (tmp_path / "certs").exists(), case  # the store was never touched


def test_unwritable_outputs_stop_plan_and_merge_first(tmp_path: Path, listener: Listener) -> None:
    cfg = config(tmp_path, listener.port)
    for target, words in (("/dev/full", "regular file"), (str(tmp_path), "is a directory")):
        located(run_cli("plan", "-c", str(cfg), "-o", target), "-o", words)
        report = tmp_path / "shard.json"
        report.write_text("{}")
        merged = run_cli("report", "merge", str(report), "-o", target)
        located(merged, "-o", words)
    assert listener.connections == 0


def test_a_write_that_fails_after_the_work_goes_to_stderr_and_exit_1(tmp_path: Path) -> None:
    out = tmp_path / "out"
    server = Listener(on_connect=lambda: shutil.rmtree(out, ignore_errors=True))
    try:
        cfg = config(tmp_path, server.port)
        out.mkdir()
        result = run_cli(
            "renew",
            "-c",
            str(cfg),
            "--cert-deadline",
            "2",
            "--report",
            str(out / "r.json"),
            "--summary",
            str(out / "s.md"),
        )
    finally:
        server.close()
    assert server.connections > 0  # the run did contact the CA: the folder went meanwhile
    assert result.code == 1 and "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert any(f"--report {out}/r.json: cannot write" in line for line in errors), errors
    assert any(f"--summary {out}/s.md: cannot write" in line for line in errors), errors
    start = result.stderr.index("{\n")
    body = json.loads(result.stderr[start : result.stderr.index("\n}\n", start) + 2])
    assert body["certificates"][0]["name"] == "c0"
    assert body["certificates"][0]["result"] == "failed"
    assert "### renewer run" in result.stderr
    assert os.path.exists(out) is False
