"""config.consumer_entries: a certificate's ``consumers:`` list walked into ConsumerSpecs."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from renewer.config.consumer_entries import read_consumers
from renewer.config.convert import Context
from renewer.config.nodes import INVALID, Checker, Source, compose
from renewer.config.types.store_keyvault import KeyVaultSettings
from renewer.core.consumers import ConsumerSpec
from renewer.core.settings import AzureSettings, StoreSettings
from tests.unit.factories import spec

SUB = "0d6f1c4e-2a8b-4c8e-9f10-1234567890ab"
VM = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1"
AGW = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/applicationGateways/g"
SITE = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Web/sites/portal"
VAULT = StoreSettings(
    "keyvault", KeyVaultSettings(vault_url="https://kv.vault.azure.net", azure=AzureSettings())
)


def read(text: str, store: StoreSettings | None = VAULT) -> tuple[Any, list[str]]:
    checker = Checker(Context(Path("/cfg"), {}))
    root = compose(text)
    assert root is not None
    entries = checker.mapping(root, "certificates[0]")
    assert entries is not None
    found = read_consumers(checker, Source(entries, root, "certificates[0]"), store)
    return found, [f"{line}:{message}" for line, _, message in checker.issues]


def test_short_and_long_forms_become_consumer_specs() -> None:
    found, issues = read(
        "consumers:\n"
        "  - front-door\n"
        f"  - kind: vm-extension\n    resource: {VM}\n    polling: 30m\n"
        "    accounts: [Network Service]\n    store: {name: WebHosting}\n"
        f"  - {{kind: application-gateway, resource: {AGW}, certificate: www, nudge: false}}\n"
    )
    assert issues == []
    front, vm, gateway = found
    assert front == ConsumerSpec("front-door")
    assert vm.kind == "vm-extension" and vm.resource is not None and vm.resource.name == "vm1"
    assert (vm.polling, vm.accounts) == (timedelta(minutes=30), ("Network Service",))
    assert (vm.store_name, vm.store_location, vm.os) == ("WebHosting", "LocalMachine", "windows")
    assert (gateway.certificate, gateway.nudge) == ("www", False)


def test_no_consumers_is_an_empty_tuple() -> None:
    assert read("{}\n") == ((), [])
    assert read("consumers: null\n") == ((), [])


def test_a_resource_of_the_wrong_type_is_refused_at_its_line() -> None:
    found, issues = read(f"consumers:\n  - {{kind: vm-extension, resource: {AGW}}}\n")
    assert found is INVALID
    assert issues == [
        "2:certificates[0].consumers[0].resource: a vm-extension consumer needs a "
        "Microsoft.Compute/virtualMachines or Microsoft.Compute/virtualMachineScaleSets "
        "resource, got Microsoft.Network/applicationGateways"
    ]


def test_each_mistake_is_reported() -> None:
    found, issues = read(
        "consumers:\n"
        "  - front-dor\n"
        "  - {kind: application-gateway, certificate: www}\n"
        f"  - {{kind: app-service, resource: {SITE}}}\n"
        "  - front-door\n"
        "  - front-door\n"
    )
    assert found is INVALID
    assert [issue.split(":")[0] for issue in issues] == ["2", "3", "4", "6"]
    assert "did you mean 'front-door'?" in issues[0]
    assert "missing required key 'resource' for an application-gateway consumer" in issues[1]
    assert "missing required key 'hostname' for an app-service consumer" in issues[2]
    assert "duplicate consumer (already listed at line 5)" in issues[3]


def test_a_consumer_with_a_resource_needs_a_key_vault_store() -> None:
    directory = spec().store
    _, issues = read(f"consumers:\n  - {{kind: vm-extension, resource: {VM}}}\n", directory)
    assert issues == [
        "2:certificates[0].consumers[0]: a vm-extension consumer reads the certificate from "
        "Key Vault, but this certificate uses a directory store"
    ]


def test_a_key_the_kind_does_not_have_lists_the_kinds_keys() -> None:
    _, issues = read(f"consumers:\n  - {{kind: vm-extension, resource: {VM}, secret: s}}\n")
    assert issues == [
        "2:certificates[0].consumers[0]: unknown key 'secret' "
        "(allowed: kind, resource, nudge, os, store, accounts, polling)"
    ]


def test_not_a_list_and_too_many_are_refused() -> None:
    assert read("consumers: front-door\n")[0] is INVALID
    many = "consumers: [" + ", ".join(["other"] * 51) + "]\n"
    found, issues = read(many)
    assert found is INVALID and "has 51 entries; at most 50" in issues[0]
