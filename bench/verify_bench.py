"""How long ``renewer verify`` takes for 200 endpoints (issue 15: seconds, not minutes).

Sets up 200 certificates in a directory store (a local two-level test CA,
tests/verify/ca.py), one nginx (tests/rig/nginx.py) on 127.0.0.1 serving
all 200 by SNI on one port, renews 20 of them on disk without reloading
nginx (so 20 endpoints serve the previous version, within grace), then
times the real CLI: ``python -m renewer verify -c certificates.yaml
--format json`` in its own process, config loading and store reads
included. Prints the wall seconds and the verdict counts.

``--dead D`` points D of the N endpoints at a listener that accepts and
never answers TLS (a blackhole), to show that dead endpoints cost one
handshake timeout (``--timeout``), concurrently, not D of them in a row.

Usage: python bench/verify_bench.py [N] [--concurrency C] [--dead D] [--timeout S]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

import yaml  # noqa: E402
from rig import Blackhole, Nginx, Site, free_port  # noqa: E402

from renewer.config.types.store_directory import DirectorySettings  # noqa: E402
from renewer.stores.directory import DirectoryStore  # noqa: E402
from tests.verify.ca import ChainCA, spec_for  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", nargs="?", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--dead", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--json", metavar="OUT", help="also write the figures here (bench/run.py)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="verify-bench-") as folder:
        root = Path(folder)
        store = DirectoryStore(DirectorySettings(root / "certs"))
        ca = ChainCA("bench")
        port = free_port()
        names = [f"site{i}.example.test" for i in range(args.count)]
        started = time.monotonic()
        for index, name in enumerate(names):
            spec = spec_for(store.root, f"site{index}", (name,), ())
            store.issue(spec, ca.finalize)
        setup = time.monotonic() - started
        sites = [
            Site("127.0.0.1", port, store.root / f"site{i}" / "fullchain.pem",
                 store.root / f"site{i}" / "privkey.pem", names=(name,))
            for i, name in enumerate(names)
        ]  # fmt: skip
        nginx_dir = root / "nginx"
        nginx_dir.mkdir()
        nginx = Nginx(nginx_dir, sites).start()
        hole = Blackhole().start()
        try:
            renewed = min(20, args.count)
            for index in range(renewed):  # new version on disk; nginx keeps the old one
                store.issue(spec_for(store.root, f"site{index}", (names[index],), ()), ca.finalize)
            config = root / "certificates.yaml"
            body = _config(store.root, names, port)
            for entry in body["certificates"][: args.dead]:
                entry["endpoints"] = [f"127.0.0.1:{hole.port}"]
            config.write_text(yaml.safe_dump(body))
            env = {**os.environ, "PYTHONPATH": str(REPO)}
            env.pop("GITHUB_ACTIONS", None)
            command = [sys.executable, "-m", "renewer", "verify", "-c", str(config),
                       "--format", "json", "--concurrency", str(args.concurrency),
                       "--timeout", str(args.timeout)]  # fmt: skip
            started = time.monotonic()
            with tempfile.TemporaryFile("w+") as out:
                proc = subprocess.Popen(command, stdout=out, stderr=subprocess.DEVNULL, env=env)
                _, status, usage = os.wait4(proc.pid, 0)  # CPU and peak RSS of that process
                wall = time.monotonic() - started
                out.seek(0)
                stdout = out.read()
            code = os.waitstatus_to_exitcode(status)
        finally:
            hole.stop()
            nginx.stop()
    body = json.loads(stdout)
    counts = {k: v for k, v in body["summary"].items() if v}
    if args.json:
        figures = {
            "count": args.count,
            "dead": args.dead,
            "timeout": args.timeout,
            "wall": wall,
            "cpu": usage.ru_utime + usage.ru_stime,
            "rss_mb": usage.ru_maxrss / 1024,
            "exit": code,
            "verdicts": counts,
        }
        Path(args.json).write_text(json.dumps(figures))
    print(f"issued {args.count} certificates in {setup:.2f} s (setup, not timed below)")
    print(
        f"renewer verify: {args.count} endpoints ({args.dead} dead, timeout {args.timeout:g} s), "
        f"concurrency {args.concurrency}: "
        f"{wall:.2f} s wall (exit {code}); {counts}"
    )


def _config(root: Path, names: list[str], port: int) -> dict[str, Any]:
    return {
        "acme": {"directory": "https://127.0.0.1:14000/dir"},
        "store": {"type": "directory", "path": str(root)},
        "dns": {"type": "challtestsrv", "url": "http://127.0.0.1:8055"},
        "certificates": [
            {"name": f"site{i}", "domains": [name], "endpoints": [f"127.0.0.1:{port}"]}
            for i, name in enumerate(names)
        ],
    }


if __name__ == "__main__":
    main()
