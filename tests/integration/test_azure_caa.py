"""``dns.manage_caa``: the Azure DNS provider adds this CA's CAA records at the zone apex.

The real azure-mgmt-dns client against the ARM stand-in (tests/rig/arm.py with
tests/rig/arm_caa.py, modelled on the REST spec), which publishes every CAA
change into a real BIND; renewer's CAA check reads BIND, Pebble issues.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from rig import SUBSCRIPTION, ArmDns, Bind

from renewer.config.types.dns_azure import AzureDnsSettings
from renewer.config.types.store_directory import DirectorySettings
from renewer.core.models import Action, ActionKind, CertificateSpec, Outcome, Plan
from renewer.core.settings import AcmeSettings, DnsSettings, PropagationSettings, StoreSettings
from renewer.dns.caa import CaaRecord, CaaResolver
from renewer.dns.contract import DnsError
from renewer.dns.providers.azure import AzureDnsProvider
from renewer.dns.providers.azure_caa import META_PREFIX
from renewer.execute.executor import Executor
from renewer.execute.services import Services
from tests.integration.test_azure_dns import READ_ONLY, StaticToken, settings

pytestmark = pytest.mark.integration

PEBBLE = "pebble.letsencrypt.org"  # Pebble's default caaIdentities
OTHERS = ['0 issue "other-ca.example"', '0 iodef "mailto:sec@example.test"', '0 issuewild ";"']


def _spec(tmp_path: Path, arm: ArmDns, bind: Bind, pebble: Any, manage: bool) -> CertificateSpec:
    return CertificateSpec(
        name="caa-example-test",
        domains=("example.test", "*.example.test"),
        key="ec-p256",
        acme=AcmeSettings(directory=pebble.directory_url, ca_bundle=pebble.ca_bundle),
        dns=DnsSettings(
            type="azure",
            provider=AzureDnsSettings(SUBSCRIPTION, "dns", settings(arm), manage),
            propagation=PropagationSettings(
                nameservers=(bind.dns_address,), timeout=20.0, interval=0.1
            ),
        ),
        store=StoreSettings("directory", DirectorySettings(tmp_path / "certs")),
    )


def _run(spec: CertificateSpec, kind: ActionKind = ActionKind.ISSUE) -> Any:
    plan = Plan(generated_at=datetime.now(UTC), actions=(Action(spec.name, kind, "test", spec),))
    (result,) = Executor(Services()).execute(plan)
    return result


def _served(bind: Bind) -> set[str]:
    """The apex CAA set BIND serves (what a CA reads)."""
    resolver = CaaResolver(PropagationSettings(nameservers=(bind.dns_address,)))
    return {r.text() for r in resolver.relevant("example.test").records}


def test_manage_caa_adds_this_ca_and_account_beside_the_zones_other_records(
    tmp_path: Path,
    bind: Bind,
    arm_dns: ArmDns,
    pebble_factory: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pebble = pebble_factory(dns_server=bind.dns_address)
    monkeypatch.setattr(
        "renewer.azure.signin.azure_credential", lambda _azure: StaticToken(arm_dns.token)
    )
    arm_dns.put_caa("example.test", "@", OTHERS, {"owner": "dns-team"})
    assert _served(bind) == set(OTHERS)

    # The control: without management the zone's CAA forbids Pebble, and nothing is written.
    refused = _run(_spec(tmp_path, arm_dns, bind, pebble, manage=False))
    assert refused.outcome is Outcome.FAILED
    assert refused.error.startswith("CAA forbids issuance"), refused.error
    before = arm_dns.caa("example.test")
    assert before is not None and [r.rdata() for r in before.records] == OTHERS

    issued = _run(_spec(tmp_path, arm_dns, bind, pebble, manage=True))
    assert issued.outcome is Outcome.SUCCEEDED, issued.error
    (account,) = (tmp_path / "certs" / "_accounts").iterdir()
    url = json.loads(account.read_text())["uri"]
    value = f"{PEBBLE}; accounturi={url}; validationmethods=dns-01"
    ours = [CaaRecord(0, "issue", value).text(), CaaRecord(0, "issuewild", value).text()]
    after = arm_dns.caa("example.test")
    assert after is not None
    assert [r.rdata() for r in after.records] == OTHERS + ours  # others first, unchanged
    assert after.ttl == 3600 and after.metadata["owner"] == "dns-team"
    assert len([k for k in after.metadata if k.startswith(META_PREFIX)]) == 2
    assert _served(bind) == set(OTHERS + ours)

    again = _run(_spec(tmp_path, arm_dns, bind, pebble, manage=True), ActionKind.RENEW)
    assert again.outcome is Outcome.SUCCEEDED, again.error
    latest = arm_dns.caa("example.test")
    assert latest is not None and latest.etag == after.etag  # nothing missing: no write


def _provider(arm: ArmDns, subscription: str = SUBSCRIPTION) -> AzureDnsProvider:
    return AzureDnsProvider(
        AzureDnsSettings(subscription, "dns", settings(arm), manage_caa=True),
        StaticToken(arm.token),
    )


def test_concurrent_writers_keep_every_record_through_etags(arm_dns: ArmDns, bind: Bind) -> None:
    """Six accounts (six stores, say) write at once; If-Match makes each re-read on a lost race."""
    arm_dns.put_caa("example.test", "@", OTHERS[:1], {})
    records = [CaaRecord(0, "issue", f"{PEBBLE}; accounturi=https://ca/acct/{i}") for i in range(6)]
    errors: list[BaseException] = []

    def write(record: CaaRecord) -> None:
        try:
            _provider(arm_dns).ensure_caa("www.example.test", [record], wildcard=False)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(r,)) for r in records]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    stored = arm_dns.caa("example.test")
    assert stored is not None
    assert sorted(r.rdata() for r in stored.records) == sorted(
        [OTHERS[0], *(r.text() for r in records)]
    )
    assert _served(bind) == {OTHERS[0], *(r.text() for r in records)}


def test_no_caa_permission_is_one_line_naming_the_actions(arm_dns_factory: Any, bind: Bind) -> None:
    arm = arm_dns_factory(
        bind=bind, subscriptions={READ_ONLY: {"dns": ["example.test"]}}, read_only=[READ_ONLY]
    )
    with pytest.raises(DnsError) as denied:
        _provider(arm, READ_ONLY).ensure_caa("example.test", [CaaRecord(0, "issue", PEBBLE)], False)
    message = str(denied.value)
    assert message.startswith("azure dns: no permission to write CAA records in zone example.test")
    assert "Microsoft.Network/dnsZones/CAA/read and /write" in message
    assert "\n" not in message and arm.token not in message
