"""``consumers:`` entries: kinds, resource ids checked for the kind's type, kind keys, grace."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from renewer.config import consumers as tables
from renewer.config.loader import ConfigError, load_config
from renewer.core.consumers import KINDS, ConsumerSpec, parse_resource_id
from tests.unit.factories import spec

SUB = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups"
VM = f"{SUB}/web/providers/Microsoft.Compute/virtualMachines/iis-01"
AGW = f"{SUB}/net/providers/Microsoft.Network/applicationGateways/agw-01"
SITE = f"{SUB}/web/providers/Microsoft.Web/sites/portal"
HEAD = """\
acme: {directory: letsencrypt}
store: {type: keyvault, vault_url: "https://contoso-certs.vault.azure.net"}
dns: {type: challtestsrv, url: "http://127.0.0.1:8055"}
certificates:
  - name: portal
    domains: [portal.example.com]
    key: rsa-2048
"""


def load(tmp_path: Path, consumers: str, extra: str = "") -> object:
    path = tmp_path / "certificates.yaml"
    path.write_text(HEAD + extra + "    consumers:\n" + consumers)
    return load_config(path, {})


def issues(tmp_path: Path, consumers: str, extra: str = "") -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, consumers, extra)
    return [str(issue) for issue in caught.value.issues]


def test_consumer_entries_of_every_kind_load_with_their_keys(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        f"""\
      - front-door
      - kind: vm-extension
        resource: {VM}
        os: windows
        store: {{name: MY, location: LocalMachine}}
        accounts: [Network Service, Local Service]
        polling: 1h
      - kind: application-gateway
        resource: {AGW}
        certificate: portal-example
        nudge: false
      - kind: app-service
        resource: {SITE}
        hostname: portal.example.com
""",
    )
    (spec,) = config.certificates  # type: ignore[attr-defined]
    short, vm, agw, site = spec.consumers
    assert short.kind == "front-door" and short.resource is None
    assert vm.kind == "vm-extension" and str(vm.resource) == VM
    assert (vm.os, vm.store_name, vm.store_location) == ("windows", "MY", "LocalMachine")
    assert vm.accounts == ("Network Service", "Local Service")
    assert vm.polling == timedelta(hours=1) and vm.nudge is True
    assert agw.certificate == "portal-example" and agw.nudge is False
    assert site.hostname == "portal.example.com" and site.certificate == ""
    assert site.resource is not None and site.resource.resource_group == "web"


def test_consumer_resource_must_be_the_kinds_provider_and_type(tmp_path: Path) -> None:
    found = issues(
        tmp_path,
        f"""\
      - kind: application-gateway
        resource: {SITE}
        certificate: x
""",
    )
    assert found == [
        f"{tmp_path / 'certificates.yaml'}:10:19: certificates[0].consumers[0].resource: an "
        "application-gateway consumer needs a Microsoft.Network/applicationGateways resource, "
        "got Microsoft.Web/sites"
    ]


def test_consumer_resource_that_is_no_resource_id_is_located(tmp_path: Path) -> None:
    entry = "      - {kind: api-management, resource: apim-01, certificate: c}\n"
    (line,) = issues(tmp_path, entry)
    where = ":9:42: certificates[0].consumers[0].resource: "
    assert where + "'apim-01' is not an Azure resource id" in line


def test_consumer_kind_keys_are_checked_and_required(tmp_path: Path) -> None:
    found = issues(
        tmp_path,
        f"""\
      - kind: application-gateway
        resource: {AGW}
        hostname: portal.example.com
      - kind: vm-extension
        resource: {VM}
        os: macos
        polling: soon
""",
    )
    text = "\n".join(found)
    assert "consumers[0]: missing required key 'certificate' for an application-gateway" in text
    assert "consumers[0]: unknown key 'hostname'" in text
    assert "consumers[1].os: unknown value 'macos'" in text
    assert "consumers[1].polling:" in text
    assert len(found) == 4


def test_consumer_short_form_still_names_a_kind_and_typos_are_errors(tmp_path: Path) -> None:
    (line,) = issues(tmp_path, "      - front-dor\n")
    assert "consumers[0]: unknown value 'front-dor'; did you mean 'front-door'?" in line


def test_consumer_needs_a_key_vault_store(tmp_path: Path) -> None:
    found = issues(
        tmp_path,
        f"      - {{kind: app-service, resource: {SITE}, hostname: portal.example.com}}\n",
        extra="    store: {type: directory, path: certs}\n",
    )
    assert any("reads the certificate from Key Vault, but" in line for line in found), found


def test_duplicate_consumer_is_an_error(tmp_path: Path) -> None:
    entry = f"      - {{kind: application-gateway, resource: {AGW}, certificate: c}}\n"
    (line,) = issues(tmp_path, entry + entry)
    assert "consumers[1]: duplicate consumer (already listed at line 9)" in line


def test_verify_grace_defaults_to_the_slowest_consumer(tmp_path: Path) -> None:
    """App Gateway 4 h and a VM extension polling every 6 h: grace 6 h + 2 h margin."""
    config = load(
        tmp_path,
        f"""\
      - {{kind: application-gateway, resource: {AGW}, certificate: c}}
      - {{kind: vm-extension, resource: {VM}, polling: 6h}}
""",
    )
    assert config.certificates[0].grace == timedelta(hours=8)  # type: ignore[attr-defined]
    short = load(tmp_path, "      - container-apps\n")
    assert short.certificates[0].grace == timedelta(hours=14)  # type: ignore[attr-defined]
    own = load(tmp_path, "      - container-apps\n", extra="    grace: 30m\n")
    assert own.certificates[0].grace == timedelta(minutes=30)  # type: ignore[attr-defined]
    other = load(tmp_path, "      - other\n")
    assert other.certificates[0].grace == timedelta(hours=26)  # type: ignore[attr-defined]


def test_every_consumer_kind_has_its_pickup_time_and_source() -> None:
    assert KINDS["application-gateway"].pickup == timedelta(hours=4)
    assert KINDS["app-service"].pickup == timedelta(hours=24)
    assert KINDS["front-door"].pickup == timedelta(days=4) and KINDS["front-door"].rsa_only
    assert KINDS["container-apps"].pickup == timedelta(hours=12)
    assert KINDS["api-management"].pickup == timedelta(hours=4)
    for kind in KINDS.values():
        assert kind.name == "other" or kind.source.startswith("https://learn.microsoft.com/")


def test_consumer_resource_id_round_trips() -> None:
    resource = parse_resource_id(VM.lower() + "/")
    assert resource.name == "iis-01"
    assert resource.provider_type == "microsoft.compute/virtualmachines"
    assert str(parse_resource_id(VM)) == VM
    with pytest.raises(ValueError, match="expected an Azure resource id"):
        parse_resource_id(VM + "/extensions/x")


# The tables themselves (renewer/config/consumers.py), without the loader.


def test_every_kind_has_its_own_key_table_and_the_schema_lists_every_key() -> None:
    assert set(tables.KIND_FIELDS) == set(KINDS) == set(tables.CONSUMERS)
    item = tables.CONSUMERS_FIELD.schema["items"]["anyOf"]
    assert item[0] == {"enum": list(tables.CONSUMERS)}
    keys = set(item[1]["properties"])
    assert keys == set(tables.COMMON) | {k for t in tables.KIND_FIELDS.values() for k in t}
    assert item[1]["additionalProperties"] is False


def test_an_ec_key_for_front_door_is_warned_about_once_per_certificate() -> None:
    front = (ConsumerSpec("front-door"), ConsumerSpec("other"))
    specs = [
        replace(spec("ec"), key="ec-p384", consumers=front),
        replace(spec("hsm"), key="ec-p256-hsm", consumers=front),
        replace(spec("rsa"), key="rsa-2048", consumers=front),
        replace(spec("gw"), key="ec-p256", consumers=(ConsumerSpec("application-gateway"),)),
    ]
    assert tables.consumer_warnings(specs) == [
        "certificate ec: Front Door does not accept EC keys (ec-p384); "
        "set key: rsa-2048 (or larger) for it",
        "certificate hsm: Front Door does not accept EC keys (ec-p256-hsm); "
        "set key: rsa-2048 (or larger) for it",
    ]
