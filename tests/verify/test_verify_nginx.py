"""verify against nginx (Debian's nginx-light) serving the directory store's files.

nginx reads certificate files when it loads its configuration, so after a
renewal it keeps serving the previous version until reloaded: exactly the
consumer that "did not pick it up". The done-when scenario runs the real
CLI: Pebble issues through challtestsrv, nginx serves, a renewal happens,
the endpoint is within grace, then stale after grace, then current again
after ``nginx -s reload``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rig import Challtestsrv, Nginx, Pebble, Site, free_port

from renewer.config.types.store_directory import DirectorySettings
from renewer.core.endpoints import EndpointSpec
from renewer.stores.directory import DirectoryStore
from renewer.stores.registry import StoreRegistry
from renewer.verify.model import Verdict
from renewer.verify.probe import ProbeSettings
from renewer.verify.run import verify
from tests.integration.runner import run_cli, write_config
from tests.verify.ca import ChainCA, issue, spec_for
from tests.verify.schemas import schema_validator

pytestmark = pytest.mark.integration
FAST = ProbeSettings(concurrency=8, connect_timeout=1.0, handshake_timeout=2.0)


@pytest.fixture
def nginx_factory(tmp_path: Path) -> Iterator[Callable[[list[Site]], Nginx]]:
    started: list[Nginx] = []

    def make(sites: list[Site]) -> Nginx:
        folder = tmp_path / f"nginx{len(started)}"
        folder.mkdir()
        server = Nginx(folder, sites)
        started.append(server)
        return server.start()

    yield make
    for server in started:
        server.stop()


def live_files(root: Path, name: str) -> tuple[Path, Path]:
    """The store's stable paths (symlinks to current/), as a web server is configured."""
    return root / name / "fullchain.pem", root / name / "privkey.pem"


def test_sni_routes_two_certificates_on_one_address(
    tmp_path: Path, nginx_factory: Callable[[list[Site]], Nginx]
) -> None:
    store = DirectoryStore(DirectorySettings(tmp_path / "certs"))
    ca = ChainCA()
    port = free_port()
    www = spec_for(
        store.root,
        "www",
        ("www.example.test",),
        (EndpointSpec("127.0.0.1", port, "www.example.test"),),
    )
    api = spec_for(
        store.root,
        "api",
        ("api.example.test",),
        (EndpointSpec("127.0.0.1", port, "api.example.test"),),
    )
    issued = {spec.name: issue(store, spec, ca) for spec in (www, api)}
    nginx_factory(
        [
            Site("127.0.0.1", port, *live_files(store.root, "www"), names=("www.example.test",)),
            Site("127.0.0.1", port, *live_files(store.root, "api"), names=("api.example.test",)),
        ]
    )
    report = verify([www, api], StoreRegistry(), settings=FAST)
    assert [(f.certificate, f.verdict) for f in report.findings] == [
        ("www", Verdict.CURRENT),
        ("api", Verdict.CURRENT),
    ]
    served = [f.served.serial for f in report.findings if f.served]
    assert served == [issued["www"].serial, issued["api"].serial]
    # a certificate nginx was never configured for: its SNI falls to the default server
    new = spec_for(
        store.root,
        "new",
        ("new.example.test",),
        (EndpointSpec("127.0.0.1", port, "new.example.test"),),
    )
    issue(store, new, ca)
    (finding,) = verify([new], StoreRegistry(), settings=FAST).findings
    assert finding.verdict is Verdict.NAME_MISMATCH
    assert finding.message == (
        "name mismatch: SNI new.example.test got a certificate for www.example.test"
    )


def test_nginx_reload_picks_up_the_new_version(
    tmp_path: Path, nginx_factory: Callable[[list[Site]], Nginx]
) -> None:
    store = DirectoryStore(DirectorySettings(tmp_path / "certs"))
    ca = ChainCA()
    port = free_port()
    spec = spec_for(
        store.root,
        "www",
        ("www.example.test",),
        (EndpointSpec("127.0.0.1", port, "www.example.test"),),
    )
    issue(store, spec, ca)
    nginx = nginx_factory([Site("127.0.0.1", port, *live_files(store.root, "www"))])
    issue(store, spec, ca)  # renewed on disk; nginx still holds the old one in memory
    later = datetime.now(UTC) + timedelta(days=2)
    (before,) = verify([spec], StoreRegistry(), now=later, settings=FAST).findings
    assert before.verdict is Verdict.STALE
    nginx.reload()
    deadline = time.monotonic() + 10
    while True:
        (after,) = verify([spec], StoreRegistry(), now=later, settings=FAST).findings
        if after.verdict is Verdict.CURRENT or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert after.verdict is Verdict.CURRENT, after.message


def test_done_when_renewal_stale_after_grace_cleared_after_reload(
    tmp_path: Path,
    challtestsrv: Challtestsrv,
    pebble_factory: Any,
    nginx_factory: Callable[[list[Site]], Nginx],
) -> None:
    pebble: Pebble = pebble_factory(dns_server=challtestsrv.dns_address)
    port = free_port()
    certs = tmp_path / "certs"
    body = {
        "acme": {"directory": pebble.directory_url, "ca_bundle": str(pebble.ca_bundle)},
        "store": {"type": "directory", "path": str(certs)},
        "dns": {
            "type": "challtestsrv",
            "url": challtestsrv.management_url,
            "propagation": {
                "nameservers": [challtestsrv.dns_address],
                "timeout": "20s",
                "interval": "0.1s",
            },
        },
        "certificates": [
            {
                "name": "www",
                "domains": ["www.example.test", "example.test"],
                "endpoints": [f"127.0.0.1:{port}"],
                "grace": "8s",  # long enough for the renew run itself to finish within it
            }
        ],
    }
    config = write_config(tmp_path / "certificates.yaml", body)
    first = run_cli("renew", "-c", str(config), "--no-verify")
    assert first.code == 0, first.output
    nginx = nginx_factory([Site("127.0.0.1", port, *live_files(certs, "www"))])
    now_ok = run_cli("verify", "-c", str(config))
    assert now_ok.code == 0 and "✓ current" in now_ok.stdout, now_ok.output

    report = tmp_path / "report.json"
    renewed = run_cli("renew", "-c", str(config), "--force", "--report", str(report))
    assert renewed.code == 0, renewed.output  # nginx serves the previous version: within grace
    assert "~ within grace" in renewed.stdout
    body_out = json.loads(report.read_text())
    schema_validator("report.schema.json").validate(body_out)
    (row,) = body_out["verify"]["endpoints"]
    assert row["verdict"] == "within-grace"
    assert row["served_version"] != row["store"]["version"]

    time.sleep(8.5)  # grace passes; nobody reloaded nginx
    stale = run_cli("verify", "-c", str(config), "--format", "json")
    assert stale.code == 1, stale.output
    (row,) = json.loads(stale.stdout)["endpoints"]
    assert row["verdict"] == "stale"
    assert row["message"].startswith(f"STALE: serves serial {row['served']['serial']} (expires in ")

    nginx.reload()
    deadline = time.monotonic() + 10
    while True:
        cleared = run_cli("verify", "-c", str(config))
        if cleared.code == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert cleared.code == 0, cleared.output
    assert "✓ current" in cleared.stdout
