"""``store.state_vault_url``: renewer's own secrets in a vault only renewer reads.

A Key Vault VM extension needs secret read on its whole certificate vault (Microsoft
Learn, "Azure Key Vault virtual machine extension for Windows", Prerequisites), which
would let the VM read renewer's ACME account key and leases. With a state vault they
live elsewhere. The documented move copies the account secret's value to the same
name in the state vault: the account, and so its URL (named by CAA ``accounturi`` and
dns-persist-01 records), stays the same.

Two Key Vault stand-ins of one tenant (a token for https://vault.azure.net is good for
both), Pebble, challtestsrv, renewer's executor.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from azure.core.credentials import AccessToken
from rig import KeyVaultStandIn, TlsMaterial

import renewer.azure.signin
from renewer.app import make_plan
from renewer.core.models import Outcome
from renewer.execute.executor import Executor
from renewer.execute.services import Services
from renewer.stores.keyvault.account import account_secret_name
from tests.integration.test_keyvault_store import Rig, secret_client
from tests.integration.test_keyvault_store import quick_lease as quick_lease  # autouse
from tests.integration.test_keyvault_store import rig as rig  # fixture

pytestmark = pytest.mark.integration


class TenantCredential:
    """One sign-in whose tokens every vault of the tenant accepts."""

    def __init__(self, first: KeyVaultStandIn, *others: KeyVaultStandIn) -> None:
        self.inner = first.credential()
        self.others = others

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        token = self.inner.get_token(*scopes, **kwargs)
        for vault in self.others:
            vault.accept(token)
        return token


@pytest.fixture
def state_vault(tls_root: TlsMaterial) -> Iterator[KeyVaultStandIn]:
    with KeyVaultStandIn(tls_root) as vault:
        yield vault


def test_renewers_secrets_live_in_the_state_vault_and_a_moved_account_keeps_its_url(
    rig: Rig, state_vault: KeyVaultStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    credential = TenantCredential(rig.kv, state_vault)
    monkeypatch.setattr(renewer.azure.signin, "azure_credential", lambda _azure: credential)
    spec = rig.spec("web", ["web.example.test"])
    _plan, first = rig.run([spec])
    assert first["web"].outcome is Outcome.SUCCEEDED, first["web"].error
    name = account_secret_name(spec.acme.directory)
    before = rig.secrets().get_secret(name).value or ""
    account_url = json.loads(before)["uri"]
    assert account_url

    # The documented move: the same value under the same name in the state vault
    # (az keyvault secret download … --file f; az keyvault secret set … --file f).
    state_secrets = secret_client(state_vault)
    state_secrets.set_secret(name, before, content_type="application/json")

    backend = replace(spec.store.backend, state_vault_url=state_vault.url)  # type: ignore[call-arg]
    moved = replace(spec, store=replace(spec.store, backend=backend))
    rig.kv.reset_counts()
    services = Services()
    plan, state = make_plan([moved], services, force=True)
    assert not state.unreadable
    (result,) = Executor(services).execute(plan)
    assert result.outcome is Outcome.SUCCEEDED, result.error

    # The certificate vault got the new version and no secret write of renewer's own.
    assert rig.kv.count("POST /certificates/{name}/pending/merge") == 1
    assert rig.kv.count("PUT /secrets/{name}") == 0
    assert rig.kv.count("GET /secrets/{name}") == 0
    # The state vault holds the lease it took, and the account it was given, unchanged:
    # the run registered no new account (that would have written a new version).
    assert state_vault.count("PUT /secrets/{name}") >= 1  # the lease
    versions = list(state_secrets.list_properties_of_secret_versions(name))
    assert len(versions) == 1
    assert json.loads(state_secrets.get_secret(name).value or "")["uri"] == account_url
