"""Scenario 7: Key Vault faults.

The Key Vault stand-in (tests/rig/keyvault.py, driven by the REAL Azure SDK) is
told to answer 429 with Retry-After, 503, or to drop the connection without a
response, for the next N requests on a route. azure-core's RetryPolicy (1.41)
retries: any status with a Retry-After header; 408/429/500/502/503/504 for
GET/PUT/DELETE/HEAD; 500/503/504 also for POST/PATCH; connection failures for
GET/PUT/DELETE/HEAD (a dropped POST/PATCH is NOT retried: the server may have
acted on it).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.keyvault.certificates import CertificateClient
from cryptography import x509
from rig import Challtestsrv, Pebble
from rig.keyvault import KeyVaultStandIn

import renewer.azure.signin
from renewer import app as run
from renewer.config.types.dns_challtestsrv import ChallTestSrvSettings
from renewer.config.types.store_keyvault import KeyVaultSettings
from renewer.core.models import CertificateSpec
from renewer.core.settings import (
    AcmeSettings,
    AzureSettings,
    DnsSettings,
    PropagationSettings,
    StoreSettings,
)
from renewer.execute.executor import Executor
from renewer.execute.services import Services
from renewer.report import render as report
from renewer.report.model import RunReport
from renewer.stores.keyvault import lease

pytestmark = [pytest.mark.resilience, pytest.mark.integration]

LIST = "GET /certificates"
CREATE = "POST /certificates/{name}/create"
PENDING = "GET /certificates/{name}/pending"
MERGE = "POST /certificates/{name}/pending/merge"
CERT = "GET /certificates/{name}"
TAGS = "PATCH /certificates/{name}"
LEASE_PUT = "PUT /secrets/{name}"
SECRET_GET = "GET /secrets/{name}"


@pytest.fixture(autouse=True)
def quick_lease(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lease, "SETTLE", 0.02)


@pytest.fixture
def vault(
    keyvault: KeyVaultStandIn,
    challtestsrv: Challtestsrv,
    pebble_factory: Callable[..., Pebble],
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[KeyVaultStandIn, Challtestsrv, Pebble]:
    pebble = pebble_factory(dns_server=challtestsrv.dns_address)
    monkeypatch.setattr(
        renewer.azure.signin, "azure_credential", lambda _azure: keyvault.credential()
    )
    return keyvault, challtestsrv, pebble


def specs(kv: KeyVaultStandIn, dns: Challtestsrv, pebble: Pebble, n: int) -> list[CertificateSpec]:
    return [
        CertificateSpec(
            name=f"kv{i}",
            domains=(f"kv{i}.example.test",),
            key="ec-p256",
            acme=AcmeSettings(directory=pebble.directory_url, ca_bundle=pebble.ca_bundle),
            dns=DnsSettings(
                type="challtestsrv",
                provider=ChallTestSrvSettings(dns.management_url),
                propagation=PropagationSettings(
                    nameservers=(dns.dns_address,), timeout=20.0, interval=0.05
                ),
            ),
            store=StoreSettings(
                type="keyvault",
                backend=KeyVaultSettings(
                    kv.url, AzureSettings(ca_bundle=kv.ca_bundle), key_mode="csr"
                ),
            ),
        )
        for i in range(n)
    ]


def renew(all_specs: list[CertificateSpec], tmp_path: Path) -> tuple[RunReport, dict[str, Any]]:
    with Services(state_dir=tmp_path / "state") as services:
        the_plan, state = run.make_plan(all_specs, services)
        the_report = run.renew(the_plan, state, Executor(services, concurrency=len(all_specs)))
    body = json.loads(report.render_json(the_report))
    return the_report, {c["name"]: c for c in body["certificates"]}


def client(kv: KeyVaultStandIn) -> CertificateClient:
    bundle = str(kv.ca_bundle)
    return CertificateClient(
        kv.url, kv.credential(), verify_challenge_resource=False, connection_verify=bundle
    )


def version_counts(kv: KeyVaultStandIn, names: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name in names:
        try:
            counts[name] = len(list(client(kv).list_properties_of_certificate_versions(name)))
        except ResourceNotFoundError:
            counts[name] = 0
    return counts


def serial_in_vault(kv: KeyVaultStandIn, name: str) -> str:
    cert = client(kv).get_certificate(name)
    assert cert.cer is not None
    return format(x509.load_der_x509_certificate(bytes(cert.cer)).serial_number, "x")


def test_throttling_outages_and_dropped_connections_are_ridden_out(
    vault: tuple[KeyVaultStandIn, Challtestsrv, Pebble], tmp_path: Path
) -> None:
    kv, dns, pebble = vault
    names = ["kv0", "kv1", "kv2"]
    injected = {
        LIST: [("429", 1, "1"), ("drop", 1, None)],
        SECRET_GET: [("503", 2, None)],
        LEASE_PUT: [("drop", 2, None)],
        CERT: [("drop", 1, None)],
        CREATE: [("429", 2, "1")],
        MERGE: [("503", 1, "1"), ("503", 1, None)],  # POST + 503: retried without Retry-After
        "PATCH /secrets/{name}": [("503", 1, None)],  # the lease release
    }
    for route, faults in injected.items():
        for kind, count, retry_after in faults:
            kv.inject(route, count, kind, retry_after=retry_after)
    started = time.monotonic()
    the_report, entries = renew(specs(kv, dns, pebble, 3), tmp_path)
    elapsed = time.monotonic() - started
    assert {n: (e["result"], e["error"]) for n, e in entries.items()} == {
        n: ("succeeded", None) for n in names
    }
    served = {route: len(kv.faulted_on(route)) for route in injected}
    assert served == {r: sum(c for _k, c, _a in f) for r, f in injected.items()}  # all met
    assert version_counts(kv, names) == {n: 1 for n in names}  # nothing doubled
    for name in names:  # the report names the serial the vault holds
        assert entries[name]["serial"] == serial_in_vault(kv, name)
    assert kv.count(CREATE) == 3 and kv.count(MERGE) == 3  # each done once
    assert elapsed >= 2.0  # two Retry-After: 1 pauses on the create path, in sequence
    assert not the_report.failed


def test_a_dropped_post_is_not_retried_and_never_doubles_a_certificate(
    vault: tuple[KeyVaultStandIn, Challtestsrv, Pebble], tmp_path: Path
) -> None:
    """azure-core does not repeat a POST whose connection dropped. A create that never
    reached the vault fails that certificate this run; a merge that landed but whose
    answer was lost is found by re-reading and reported as succeeded. The others are
    unaffected, and the next run converges with one version each."""
    kv, dns, pebble = vault
    all_specs = specs(kv, dns, pebble, 3)
    kv.inject(CREATE, 1, "drop", name="kv0")  # the vault did nothing
    kv.inject(MERGE, 1, "drop-after", name="kv1")  # merged, but the answer is lost
    _report, first = renew(all_specs, tmp_path)
    assert first["kv2"]["result"] == "succeeded"
    assert first["kv0"]["result"] == "failed" and "did not answer" in first["kv0"]["error"]
    assert first["kv1"]["result"] == "succeeded"  # the lost answer was checked, not guessed
    assert first["kv1"]["serial"] == serial_in_vault(kv, "kv1")
    assert version_counts(kv, ["kv0", "kv1", "kv2"]) == {"kv0": 0, "kv1": 1, "kv2": 1}

    _report, second = renew(all_specs, tmp_path)
    assert second["kv0"]["result"] == "succeeded"
    assert second["kv1"]["action"] == "skip"  # the merge of run 1 did land, with its tags
    assert second["kv1"]["serial"] == serial_in_vault(kv, "kv1")
    assert version_counts(kv, ["kv0", "kv1", "kv2"]) == {"kv0": 1, "kv1": 1, "kv2": 1}
