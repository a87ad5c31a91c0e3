"""The pull-request plan identity needs no secret role: Key Vault Reader is enough.

Every same-repository pull request can present the plan identity's subject, so it must
not be able to read the ACME account's private key (with dns-persist-01 standing
records that key alone can issue certificates) nor any certificate's key. The plan
needs only the account URL: a tag of the account secret, read from its versions'
properties (``secrets/readMetadata/action``). The Key Vault stand-in enforces RBAC per
route (tests/rig/keyvault_rbac.py); here the plan identity holds Key Vault Reader only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace

import pytest
from rig import Challtestsrv, KeyVaultStandIn, Pebble
from rig.keyvault_rbac import SECRET_GET, reader_denied

from renewer.app import make_plan
from renewer.core.models import Challenge
from renewer.execute import persist
from renewer.execute.services import Services
from renewer.stores.contract import AccountRecord, StoreError
from renewer.stores.keyvault.account import TAG_ACCOUNT_URI
from renewer.stores.keyvault.store import account_secret_name
from tests.integration.test_keyvault_store import Rig, direct_store, make_rig, secret_client

pytestmark = pytest.mark.integration

DIRECTORY = "https://acme.example/directory"
URI = "https://acme.example/acme/acct/4711"
KEY = json.dumps({"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA", "d": "private-part"})


@pytest.fixture
def rig(
    keyvault: KeyVaultStandIn,
    challtestsrv: Challtestsrv,
    pebble_factory: Callable[..., Pebble],
    monkeypatch: pytest.MonkeyPatch,
) -> Rig:
    return make_rig(keyvault, challtestsrv, pebble_factory, monkeypatch)


def _value_reads(kv: KeyVaultStandIn, name: str) -> list[int]:
    """Statuses of the GETs of the secret's value the vault answered."""
    return [r.status for r in kv.requests if r.route == "GET /secrets/{name}" and r.name == name]


def test_reader_gets_the_account_url_and_never_the_key(keyvault: KeyVaultStandIn) -> None:
    direct_store(keyvault).save_account(AccountRecord(DIRECTORY, KEY, URI))

    keyvault.denied_actions = reader_denied()
    keyvault.reset_counts()
    plan_store = direct_store(keyvault)
    assert plan_store.account_uri(DIRECTORY) == URI
    assert _value_reads(keyvault, account_secret_name(DIRECTORY)) == []

    # The control: this identity really cannot read the value (so the above proves something).
    with pytest.raises(StoreError, match="no permission") as caught:
        plan_store.load_account(DIRECTORY)
    assert "private-part" not in str(caught.value)
    assert [r.status for r in keyvault.requests if r.route == "GET /secrets/{name}"] == [403]
    assert SECRET_GET in keyvault.denied_actions


def test_a_vault_without_the_tag_says_unknown_until_a_renew_tags_it(
    keyvault: KeyVaultStandIn,
) -> None:
    """Vaults written before the tag: no failure, no URL; the next renew adds the tag."""
    name = account_secret_name(DIRECTORY)
    body = {"directory": DIRECTORY, "uri": URI, "key": KEY}
    secret_client(keyvault).set_secret(name, json.dumps(body), content_type="application/json")

    keyvault.denied_actions = reader_denied()
    assert direct_store(keyvault).account_uri(DIRECTORY) is None

    keyvault.denied_actions = set()  # the renew identity
    record = direct_store(keyvault).load_account(DIRECTORY)
    assert record is not None and record.uri == URI
    tags = secret_client(keyvault).get_secret(name).properties.tags or {}
    assert tags[TAG_ACCOUNT_URI] == URI

    keyvault.denied_actions = reader_denied()
    assert direct_store(keyvault).account_uri(DIRECTORY) == URI


def test_no_account_yet_is_none_not_an_error(keyvault: KeyVaultStandIn) -> None:
    keyvault.denied_actions = reader_denied()
    assert direct_store(keyvault).account_uri(DIRECTORY) is None


def test_a_dns_persist_plan_runs_with_key_vault_reader_only(rig: Rig) -> None:
    """The plan of a dns-persist-01 certificate names the account URL, with Reader only."""
    _plan, results = rig.run([rig.spec("seed")])  # renew identity: creates the account
    assert results["seed"].outcome.value == "succeeded"
    name = account_secret_name(rig.pebble.directory_url)
    tags = rig.secrets().get_secret(name).properties.tags or {}
    uri = tags[TAG_ACCOUNT_URI]
    assert uri.startswith("https://")

    rig.kv.denied_actions = reader_denied()
    rig.kv.reset_counts()
    wild = replace(rig.spec("wild", ["*.wild.example.test"]), challenge=Challenge.DNS_PERSIST_01)
    services = Services()
    _plan, state = make_plan([rig.spec("seed"), wild], services)
    assert not state.unreadable, state.unreadable
    (status,) = persist.gather([wild], services)
    assert status.error is None, status.error
    (domain,) = status.domains
    assert domain.expected is not None and f"accounturi={uri}" in domain.expected
    assert _value_reads(rig.kv, name) == []  # never asked for the key
    assert all(r.status != 403 for r in rig.kv.requests), [
        (r.route, r.status) for r in rig.kv.requests
    ]
