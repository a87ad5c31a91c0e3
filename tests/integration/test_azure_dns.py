"""Azure DNS provider: the real azure-mgmt-dns client against the ARM stand-in.

The stand-in (tests/rig/arm.py) sits at the HTTP boundary;
it publishes every TXT change into a real BIND, which is what Pebble queries.
The credential below is the test's, not product code: it hands the SDK the
token the stand-in accepts, and records which scopes were asked for.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from azure.core.credentials import AccessToken
from rig import SUBSCRIPTION, ArmDns, Bind, Zone

from renewer.config.types.dns_azure import AzureDnsSettings
from renewer.config.types.store_directory import DirectorySettings
from renewer.core.models import Action, ActionKind, CertificateSpec, Outcome, Plan
from renewer.core.settings import (
    AcmeSettings,
    AzureSettings,
    DnsSettings,
    PropagationSettings,
    StoreSettings,
)
from renewer.dns.contract import DnsError
from renewer.dns.providers.azure import AzureDnsProvider
from renewer.dns.registry import make_provider
from renewer.execute.executor import Executor
from renewer.execute.services import Services
from tests.integration.test_renew_e2e import assert_chains_to_pebble, leaf, sans

pytestmark = pytest.mark.integration

NAME = "_acme-challenge.example.test."
READ_ONLY = "11111111-1111-1111-1111-111111111111"


class StaticToken:
    """TokenCredential returning the stand-in's accepted token."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **_kwargs: Any) -> AccessToken:
        self.scopes.append(scopes)
        return AccessToken(self.token, int(time.time()) + 3600)


def settings(arm: ArmDns) -> AzureSettings:
    return AzureSettings(arm_endpoint=arm.endpoint, ca_bundle=Path(arm.ca_bundle))


def provider(
    arm: ArmDns,
    *,
    subscription: str = SUBSCRIPTION,
    resource_group: str = "dns",
    token: str | None = None,
) -> AzureDnsProvider:
    credential = StaticToken(token or arm.token)
    return AzureDnsProvider(
        AzureDnsSettings(subscription, resource_group, settings(arm)), credential
    )


def test_apex_and_wildcard_share_the_record_set(arm_dns: ArmDns, bind: Bind) -> None:
    dns = provider(arm_dns)
    assert dns.describe() == f"azure dns {SUBSCRIPTION}/dns"
    dns.present(NAME, "apex-value")
    dns.present(NAME, "wildcard-value")
    dns.present(NAME, "wildcard-value")  # already there: no write
    both = ["apex-value", "wildcard-value"]
    assert arm_dns.txt("example.test", "_acme-challenge") == both
    assert bind.txt_values(NAME) == both
    assert arm_dns.count("PUT", "recordset", 201) == 1  # created once, with If-None-Match
    assert arm_dns.count("PUT", "recordset", 200) == 1  # appended once, with If-Match

    dns.cleanup(NAME, "apex-value")
    assert arm_dns.txt("example.test", "_acme-challenge") == ["wildcard-value"]
    assert bind.txt_values(NAME) == ["wildcard-value"]
    assert arm_dns.count("DELETE") == 0  # the sibling's value kept the set alive

    dns.cleanup(NAME, "wildcard-value")
    assert arm_dns.txt("example.test", "_acme-challenge") is None
    assert bind.txt_values(NAME) == []
    assert arm_dns.count("DELETE", "recordset", 200) == 1
    dns.cleanup(NAME, "wildcard-value")  # nothing left: a no-op, not an error
    assert arm_dns.count("DELETE") == 1
    assert arm_dns.count("GET", "zones") == 1  # zones listed once per provider
    assert arm_dns.unauthorized == 0


def test_concurrent_writers_all_land_via_etag_retries(arm_dns: ArmDns, bind: Bind) -> None:
    # Two providers stand for two overlapping runs; ten writers hit one record set at once.
    providers = [provider(arm_dns), provider(arm_dns)]
    for p in providers:
        p.zones()
    values = [f"value-{i:02d}" for i in range(10)]
    barrier = threading.Barrier(len(values))
    errors: list[BaseException] = []

    def write(i: int, op: str) -> None:
        try:
            barrier.wait(timeout=10)
            getattr(providers[i % 2], op)(NAME, values[i])
        except BaseException as exc:
            errors.append(exc)

    def run_all(op: str) -> None:
        threads = [threading.Thread(target=write, args=(i, op)) for i in range(len(values))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not errors, errors

    run_all("present")
    assert arm_dns.txt("example.test", "_acme-challenge") == values
    assert bind.txt_values(NAME) == values
    conflicts = arm_dns.count("PUT", "recordset", 412)
    assert conflicts >= 1, "the writers never collided, so ETag retries went untested"

    run_all("cleanup")
    assert arm_dns.txt("example.test", "_acme-challenge") is None
    assert bind.txt_values(NAME) == []
    assert arm_dns.count("PUT", "recordset", 412) + arm_dns.count("DELETE", "recordset", 412) > (
        conflicts
    )


def test_longest_suffix_zone_match(
    tmp_path_factory: pytest.TempPathFactory, arm_dns_factory: Any
) -> None:
    zones = [Zone("example.test."), Zone("sub.example.test.")]
    with Bind(tmp_path_factory.mktemp("bind"), zones=zones) as bind:
        # page_size=1: the two zones come on two pages, so nextLink must be followed
        arm = arm_dns_factory(
            bind=bind,
            subscriptions={SUBSCRIPTION: {"dns": ["example.test", "sub.example.test"]}},
            page_size=1,
        )
        dns = provider(arm)
        assert dns.locate("_acme-challenge.sub.example.test.") == (
            "sub.example.test",
            "_acme-challenge",
        )
        assert dns.locate("_acme-challenge.deep.sub.example.test") == (
            "sub.example.test",
            "_acme-challenge.deep",
        )
        assert dns.locate("Sub.Example.Test.") == ("sub.example.test", "@")
        assert dns.locate("_acme-challenge.example.test.") == ("example.test", "_acme-challenge")

        dns.present("_acme-challenge.sub.example.test.", "in-sub")
        dns.present("_acme-challenge.example.test.", "in-parent")
        assert arm.txt("sub.example.test", "_acme-challenge") == ["in-sub"]
        assert arm.txt("example.test", "_acme-challenge.sub") is None
        assert arm.txt("example.test", "_acme-challenge") == ["in-parent"]
        assert bind.txt_values("_acme-challenge.sub.example.test.") == ["in-sub"]

        with pytest.raises(DnsError) as missing:
            dns.present("_acme-challenge.other.test.", "x")
        assert str(missing.value) == (
            f"azure dns: no zone in subscription {SUBSCRIPTION}, resource group dns "
            "holds _acme-challenge.other.test."
        )
        assert arm.count("GET", "zones", 200) == 2  # two pages, listed once


def test_forbidden_and_unknown_resource_group_are_one_clear_line(
    arm_dns_factory: Any, bind: Bind
) -> None:
    arm = arm_dns_factory(
        bind=bind,
        subscriptions={
            SUBSCRIPTION: {"dns": ["example.test"]},
            READ_ONLY: {"dns": ["example.test"]},
        },
        read_only=[READ_ONLY],
    )
    with pytest.raises(DnsError) as forbidden:
        provider(arm, subscription=READ_ONLY).present(NAME, "v")
    assert str(forbidden.value) == (
        "azure dns: no permission to write TXT records in zone example.test "
        f"(subscription {READ_ONLY}, resource group dns): grant the 'DNS TXT Contributor' "
        "custom role or DNS Zone Contributor"
    )

    with pytest.raises(DnsError) as unknown:
        provider(arm, resource_group="no-such-rg").present(NAME, "v")
    assert str(unknown.value) == (
        f"azure dns: resource group no-such-rg not found in subscription {SUBSCRIPTION} "
        "(ResourceGroupNotFound)"
    )

    with pytest.raises(DnsError) as rejected:
        provider(arm, token="not-the-token").present(NAME, "v")
    assert "HTTP 401 InvalidAuthenticationToken" in str(rejected.value)

    for exc in (forbidden.value, unknown.value, rejected.value):
        assert "\n" not in str(exc)
        assert arm.token not in str(exc) and "not-the-token" not in str(exc)
    assert bind.txt_values(NAME) == []


def test_executor_issues_through_azure_dns(
    tmp_path: Path,
    bind: Bind,
    arm_dns: ArmDns,
    pebble_factory: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Stands in for `renewer renew` until the config loader accepts the `azure:` section:
    # the same Executor/Services path, with make_provider building the Azure provider.
    pebble = pebble_factory(dns_server=bind.dns_address)
    credential = StaticToken(arm_dns.token)
    asked: list[AzureSettings] = []

    def fake_credential(azure: AzureSettings) -> StaticToken:
        asked.append(azure)
        return credential

    monkeypatch.setattr("renewer.azure.signin.azure_credential", fake_credential)
    azure = settings(arm_dns)
    dns_settings = DnsSettings(
        type="azure",
        provider=AzureDnsSettings(SUBSCRIPTION, "dns", azure),
        propagation=PropagationSettings(
            nameservers=(bind.dns_address,), timeout=20.0, interval=0.1
        ),
    )
    assert isinstance(make_provider(dns_settings), AzureDnsProvider)
    spec = CertificateSpec(
        name="azure-example-test",
        domains=("example.test", "*.example.test"),
        key="ec-p256",
        acme=AcmeSettings(directory=pebble.directory_url, ca_bundle=pebble.ca_bundle),
        dns=dns_settings,
        store=StoreSettings("directory", DirectorySettings(tmp_path / "certs")),
    )
    plan = Plan(
        generated_at=datetime.now(UTC),
        actions=(Action(spec.name, ActionKind.ISSUE, "not in the store yet", spec),),
    )
    with Services() as services:
        (result,) = Executor(services).execute(plan)

    assert result.outcome is Outcome.SUCCEEDED, result.error
    assert sans(leaf(tmp_path, spec.name)) == {"example.test", "*.example.test"}
    assert_chains_to_pebble(tmp_path, spec.name, pebble)
    assert asked == [azure, azure]  # once above, once by the run's Services
    assert set(credential.scopes) == {(arm_dns.endpoint + "/.default",)}
    assert arm_dns.count("PUT", "recordset") >= 2  # apex and wildcard values
    assert arm_dns.txt("example.test", "_acme-challenge") is None  # cleaned up
    assert bind.txt_values(NAME) == []
    assert arm_dns.unauthorized == 0


def test_twenty_records_per_record_set_then_one_clear_line(arm_dns: ArmDns, bind: Bind) -> None:
    """Azure DNS holds at most 20 records per record set (the stand-in refuses a 21st like
    the service); the provider says so in one line before writing, naming the record."""
    dns = provider(arm_dns)
    for n in range(20):
        dns.present(NAME, f"value-{n:02d}")
    assert len(arm_dns.txt("example.test", "_acme-challenge") or []) == 20
    puts = arm_dns.count("PUT")
    with pytest.raises(DnsError) as err:
        dns.present(NAME, "value-20")
    assert str(err.value) == (
        "azure dns: TXT _acme-challenge.example.test. in zone example.test already holds 20 "
        "values, Azure DNS's limit per record set (20); remove stale values there (a "
        "cancelled job's are swept by the next run) or split the names that share this "
        "record across certificates issued at different times"
    )
    assert arm_dns.count("PUT") == puts  # refused before any write
    assert len(bind.txt_values(NAME)) == 20
    # The stand-in itself enforces the limit, as the service does.
    from azure.core.exceptions import HttpResponseError
    from azure.mgmt.dns.models import RecordSet, TxtRecord

    client = dns._client  # the provider's own SDK client
    records = [TxtRecord(value=[f"v{n}"]) for n in range(21)]
    with pytest.raises(HttpResponseError, match="maximum number of records in a record set is 20"):
        client.record_sets.create_or_update(
            "dns", "example.test", "_many", "TXT", RecordSet(ttl=60, txt_records=records)
        )


def test_a_killed_jobs_value_is_removed_by_the_next_write_from_any_runner(
    arm_dns: ArmDns, bind: Bind
) -> None:
    """The TXT journal on a runner is gone with the runner; the note renewer keeps in the
    record set's metadata is not: a value it wrote more than STALE_AFTER ago (a killed or
    cancelled job's) goes with the next write to that set. Others' values stay."""
    from renewer.dns.providers import azure as azure_dns

    first = provider(arm_dns)
    first.present(NAME, "killed-job-value")  # the job dies here: no cleanup
    key = ("00000000-0000-0000-0000-000000000000", "dns", "example.test", "_acme-challenge")
    stored = arm_dns._sets[key]
    stored.records.append(["someone-elses-value"])  # written by hand, no renewer note
    (note,) = [k for k in stored.metadata if k.startswith(azure_dns.META_PREFIX)]
    old = datetime.now(UTC) - azure_dns.STALE_AFTER - timedelta(minutes=1)
    stored.metadata[note] = old.isoformat(timespec="seconds")

    later = provider(arm_dns)  # another runner, another process
    later.present(NAME, "next-run-value")
    assert arm_dns.txt("example.test", "_acme-challenge") == [
        "next-run-value",
        "someone-elses-value",
    ]
    assert bind.txt_values(NAME) == ["next-run-value", "someone-elses-value"]
    notes = [k for k in arm_dns._sets[key].metadata if k.startswith(azure_dns.META_PREFIX)]
    assert len(notes) == 1 and note not in notes  # the stale note went with its value
    later.cleanup(NAME, "next-run-value")
    assert arm_dns.txt("example.test", "_acme-challenge") == ["someone-elses-value"]
    assert not [k for k in arm_dns._sets[key].metadata if k.startswith(azure_dns.META_PREFIX)]

    fresh = provider(arm_dns)  # a value younger than STALE_AFTER is a live run's: kept
    fresh.present(NAME, "live-run-value")
    provider(arm_dns).present(NAME, "another-live-value")
    assert "live-run-value" in (arm_dns.txt("example.test", "_acme-challenge") or [])
