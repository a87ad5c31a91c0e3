"""After a renewal, renew nudges the consumers that document a way to pick up now.

A real renewal (Pebble, challtestsrv, the Key Vault stand-in) stores a new
version; renewer's ARM client then talks to the consumers' ARM stand-in
(tests/rig/arm_consumers.py) through azure-core, with ARM's errors queued on
the routes: 429 with Retry-After, 409 for a conflicting operation, a
long-running Front Door secret update, a 404 for a consumer that is gone.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.core.credentials import AccessToken
from click.testing import CliRunner
from rig import TlsMaterial
from rig.arm_consumers import ArmConsumers, Fault

import renewer.azure.signin
from renewer.cli import main
from renewer.core.consumers import ConsumerSpec, parse_resource_id
from renewer.core.models import Outcome
from renewer.core.settings import AzureSettings
from renewer.execute.nudge import nudge
from renewer.execute.services import Services
from renewer.report.model import RunReport
from tests.integration.runner import write_config
from tests.integration.test_keyvault_store import Rig
from tests.integration.test_keyvault_store import quick_lease as quick_lease  # fixture
from tests.integration.test_keyvault_store import rig as rig  # fixture

pytestmark = pytest.mark.integration

SUB = "/subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups"
AGW = f"{SUB}/net/providers/Microsoft.Network/applicationGateways/agw-01"
SITE = f"{SUB}/web/providers/Microsoft.Web/sites/portal-site"
WEB_CERT = f"{SUB}/web/providers/Microsoft.Web/certificates/portal"
APIM = f"{SUB}/api/providers/Microsoft.ApiManagement/service/apim-01"
AFD = f"{SUB}/edge/providers/Microsoft.Cdn/profiles/afd-01"
VM = f"{SUB}/web/providers/Microsoft.Compute/virtualMachines/iis-01"


class Credential:
    """ARM tokens for the consumers' stand-in, Key Vault tokens for the vault."""

    def __init__(self, rig: Rig, arm: ArmConsumers) -> None:
        self.rig, self.arm = rig, arm

    def get_token(self, *scopes: str, **_kwargs: Any) -> AccessToken:
        if any(s.startswith(self.arm.endpoint) for s in scopes):
            return AccessToken(self.arm.token, int(time.time()) + 3600)
        return self.rig.kv.mint_token()

    def close(self) -> None:
        pass


@pytest.fixture
def arm(tls_root: TlsMaterial, rig: Rig, monkeypatch: pytest.MonkeyPatch) -> Iterator[ArmConsumers]:
    with ArmConsumers(tls_root) as stand_in:
        stand_in.add(AGW, {"tags": {"owner": "net-team"}, "properties": {}})
        stand_in.add(SITE, {"properties": {"hostNames": ["portal.example.test"]}})
        vault = f"{SUB}/certs/providers/Microsoft.KeyVault/vaults/contoso-certs"
        imported = {"keyVaultId": vault, "keyVaultSecretName": "portal"}  # as setup imports it
        stand_in.add(WEB_CERT, {"location": "westeurope", "properties": imported})
        stand_in.add(f"{APIM}/certificates/portal", {"properties": {}})
        stand_in.add(f"{AFD}/secrets/portal", {"properties": {"parameters": {}}})
        credential = Credential(rig, stand_in)
        monkeypatch.setattr(renewer.azure.signin, "azure_credential", lambda _a: credential)
        yield stand_in


def consumers(vault_url: str) -> tuple[ConsumerSpec, ...]:
    return (
        ConsumerSpec("application-gateway", parse_resource_id(AGW), certificate="portal"),
        ConsumerSpec("app-service", parse_resource_id(SITE), hostname="portal.example.test"),
        ConsumerSpec("api-management", parse_resource_id(APIM), certificate="portal"),
        ConsumerSpec("front-door", parse_resource_id(AFD), secret="portal", pinned=True),
        ConsumerSpec("vm-extension", parse_resource_id(VM)),
        ConsumerSpec("container-apps"),
    )


def renewed(rig: Rig, arm: ArmConsumers) -> tuple[Any, RunReport, Services]:
    spec = rig.spec("portal", key="rsa-2048")
    backend = dataclasses.replace(
        spec.store.backend,  # type: ignore[type-var]
        azure=AzureSettings(arm_endpoint=arm.endpoint, ca_bundle=rig.kv.ca_bundle),
    )
    spec = dataclasses.replace(
        spec,
        store=dataclasses.replace(spec.store, backend=backend),
        consumers=consumers(rig.kv.url),
    )
    services = Services()
    plan, results = rig.run([spec], services)
    assert results["portal"].outcome is Outcome.SUCCEEDED
    return plan, RunReport(plan=plan, results=tuple(results.values())), services


def test_nudge_reaches_every_kind_through_429_409_and_a_long_running_operation(
    rig: Rig, arm: ArmConsumers
) -> None:
    plan, report, services = renewed(rig, arm)
    arm.fail("PATCH", "applicationGateways", Fault(429, "TooManyRequests", retry_after="1"))
    arm.fail("PUT", "certificates", Fault(409, "AnotherOperationInProgress", retry_after="0"))
    started = time.monotonic()
    results = {r.kind: r for r in nudge(plan, report.results, services, 60)}
    took = time.monotonic() - started
    version = rig.store().current("portal").version  # type: ignore[union-attr]

    assert {k: r.outcome for k, r in results.items()} == {
        "application-gateway": "nudged",
        "app-service": "nudged",
        "api-management": "nudged",
        "front-door": "nudged",
        "vm-extension": "waiting",
        "container-apps": "waiting",
    }
    gateway = arm.get(AGW) or {}
    assert gateway["tags"] == {
        "owner": "net-team",
        "renewer-certificate-version": f"portal/{version}",
    }
    assert arm.count("PATCH", "applicationGateways", 429) == 1  # Retry-After: 1 was waited
    assert arm.count("PATCH", "applicationGateways", 200) == 1 and took >= 1.0
    assert arm.count("PUT", "certificates", 409) == 1 and (arm.get(WEB_CERT) or {})["imports"] == 1
    assert (arm.get(f"{APIM}/certificates/portal") or {})["refreshed"] == 1
    secret = (arm.get(f"{AFD}/secrets/portal") or {})["properties"]["parameters"]
    assert secret["secretVersion"] == version and secret["useLatestVersion"] is False
    assert arm.count("GET", "operations", 200) == 2  # InProgress, then Succeeded
    assert results["vm-extension"].detail == "picks it up by itself within 1h"


def test_failed_nudge_is_a_warning_and_does_not_stop_the_others(
    rig: Rig, arm: ArmConsumers
) -> None:
    plan, report, services = renewed(rig, arm)
    del arm.resources[WEB_CERT.lower()]  # the App Service certificate was deleted
    arm.fail("PATCH", "applicationGateways", *[Fault(503, "ServiceUnavailable")] * 2)
    results = {r.kind: r for r in nudge(plan, report.results, services, 30)}
    assert results["app-service"].outcome == "failed"
    assert "404 ResourceNotFound" in results["app-service"].detail
    assert results["application-gateway"].outcome == "nudged"  # after two 503s
    assert report.failed == ()  # the certificate stays renewed


def test_nudge_off_per_consumer_and_with_no_nudge(rig: Rig, arm: ArmConsumers) -> None:
    plan, report, services = renewed(rig, arm)
    action = plan.actions[0]
    off = tuple(dataclasses.replace(c, nudge=False) for c in action.spec.consumers)
    quiet = dataclasses.replace(
        plan,
        actions=(
            dataclasses.replace(action, spec=dataclasses.replace(action.spec, consumers=off)),
        ),
    )
    assert {r.outcome for r in nudge(quiet, report.results, services, 30)} == {"off", "waiting"}
    assert {r.outcome for r in nudge(plan, report.results, services, 30, enabled=False)} == {
        "off",
        "waiting",
    }
    assert arm.count("PATCH", "applicationGateways") == 0
    assert arm.count("PUT", "certificates") == 0


def test_renew_nudges_app_gateway_and_app_service_and_the_report_shows_each_nudge(
    rig: Rig, arm: ArmConsumers, tmp_path: Path, tls_root: TlsMaterial
) -> None:
    cfg = write_config(
        tmp_path / "certificates.yaml",
        {
            "acme": {
                "directory": rig.pebble.directory_url,
                "ca_bundle": str(rig.pebble.ca_bundle),
            },
            "azure": {"arm_endpoint": arm.endpoint, "ca_bundle": str(tls_root.root)},
            "store": {"type": "keyvault", "vault_url": rig.kv.url},
            "dns": {
                "type": "challtestsrv",
                "url": rig.dns.management_url,
                "propagation": {"nameservers": [rig.dns.dns_address], "timeout": "20s"},
            },
            "certificates": [
                {
                    "name": "portal",
                    "domains": ["portal.example.test"],
                    "key": "rsa-2048",
                    "consumers": [
                        {"kind": "application-gateway", "resource": AGW, "certificate": "p"},
                        {
                            "kind": "app-service",
                            "resource": SITE,
                            "hostname": "portal.example.test",
                        },
                        "container-apps",
                    ],
                }
            ],
        },
    )
    report, summary = tmp_path / "report.json", tmp_path / "summary.md"
    result = CliRunner().invoke(
        main,
        ["renew", "-c", str(cfg), "--report", str(report), "--summary", str(summary)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    body = json.loads(report.read_text())
    nudges = {n["kind"]: n for n in body["nudges"]}
    assert nudges["application-gateway"]["outcome"] == "nudged"
    assert nudges["app-service"]["outcome"] == "nudged"
    assert nudges["container-apps"]["outcome"] == "waiting"
    assert "imported again from Key Vault" in nudges["app-service"]["detail"]
    markdown = summary.read_text()
    assert "#### renewer nudges" in markdown
    assert "| `portal` | application-gateway agw-01 | ✅ nudged |" in markdown
    assert "| `portal` | app-service portal-site | ✅ nudged |" in markdown
    assert "nudge nudged  portal: app-service portal-site: imported again" in result.output
    assert arm.count("PATCH", "applicationGateways", 200) == 1


def test_doctor_checks_each_consumer_exists_and_watches_the_versionless_url(
    rig: Rig, arm: ArmConsumers
) -> None:
    from renewer.doctor.consumers import check_consumers

    url = f"{rig.kv.url}/secrets/portal"
    arm.add(VM, {"identity": {"principalId": "vm-principal"}, "properties": {}})
    observed = {"secretsManagementSettings": {"observedCertificates": [{"url": url}]}}
    arm.add(f"{VM}/extensions/KeyVaultForWindows", {"properties": {"settings": observed}})
    gateway = arm.get(AGW) or {}
    gateway["properties"]["sslCertificates"] = [
        {"name": "portal", "properties": {"keyVaultSecretId": f"{url}/0123abcd"}}  # versioned
    ]
    spec = rig.spec("portal", key="rsa-2048")
    azure = AzureSettings(arm_endpoint=arm.endpoint, ca_bundle=rig.kv.ca_bundle)
    backend = dataclasses.replace(spec.store.backend, azure=azure)  # type: ignore[type-var]
    spec = dataclasses.replace(
        spec, store=dataclasses.replace(spec.store, backend=backend), consumers=consumers(url)
    )
    credential = renewer.azure.signin.azure_credential(azure)
    lines = [c.text() for c in check_consumers([spec], {azure: credential})]
    assert f"✓ consumer vm-extension iis-01 (portal): KeyVaultForWindows observes {url}" in lines
    assert "✓ consumer application-gateway agw-01 (portal): exists" in lines
    assert any(
        line.startswith("✗ consumer application-gateway agw-01 (portal): SSL certificate portal")
        and "versionless" in line
        for line in lines
    ), lines
    assert any(
        line.startswith("✗ consumer api-management apim-01 (portal): cannot be read: HTTP 404")
        for line in lines
    ), lines
    assert "✓ consumer app-service portal-site (portal): exists" in lines
