"""The embedded default, end to end, with no Azure account.

Starts a local CA (Pebble) and local DNS (pebble-challtestsrv) on 127.0.0.1,
writes a config for them from examples/local.yaml into .local/demo/ (or
$RENEWER_DEMO_DIR), then runs what a scheduled job runs: ``renewer renew`` (issues
everything), and ``renewer plan`` (a second run: only ``skip``). Servers are stopped
by PID.

renewer runs as ``python -m renewer`` of this interpreter from the work directory, not
the checkout, so it is the *installed* renewer: the editable one in .venv for
`make demo`, a built wheel's in tests/integration/test_wheel.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from rig import Challtestsrv, Pebble, make_tls_material  # noqa: E402

WORK = Path(os.environ.get("RENEWER_DEMO_DIR") or REPO / ".local" / "demo").resolve()


def renewer(*args: str) -> int:
    print(f"\n$ renewer {' '.join(args)}", flush=True)
    return subprocess.call([sys.executable, "-m", "renewer", *args], cwd=WORK)


def main() -> int:
    shutil.rmtree(WORK, ignore_errors=True)
    (WORK / "servers").mkdir(parents=True)
    which = subprocess.run(
        [sys.executable, "-c", "import renewer; print(renewer.__version__, renewer.__file__)"],
        cwd=WORK,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    print(f"renewer {which[0]} from {Path(which[1]).parent}")
    tls = make_tls_material(WORK / "tls")
    with (
        Challtestsrv(WORK / "servers") as dns,
        Pebble(WORK / "servers", tls, dns_server=dns.dns_address) as ca,
    ):
        config = yaml.safe_load((REPO / "examples" / "local.yaml").read_text())
        config["acme"]["directory"] = ca.directory_url
        config["acme"]["ca_bundle"] = str(ca.ca_bundle)
        config["dns"]["url"] = dns.management_url
        config["dns"]["propagation"]["nameservers"] = [dns.dns_address]
        config["store"]["path"] = str(WORK / "certs")
        path = WORK / "certificates.yaml"
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        print(f"local CA {ca.directory_url}, local DNS {dns.dns_address}, store {WORK / 'certs'}")
        steps = [
            renewer("validate", "-c", str(path)),
            renewer("renew", "-c", str(path), "--summary", str(WORK / "summary.md")),
            renewer("plan", "-c", str(path)),
        ]
    print(f"\ncertificates: {WORK / 'certs'}")
    return max(steps)


if __name__ == "__main__":
    sys.exit(main())
