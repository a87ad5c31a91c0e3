"""Account key rollover with the account kept as a Key Vault secret (stand-in, real SDK).

The secret holds both keys while a rollover is under way; the account URL tag
(what a Reader-only plan identity reads) never changes; the private parts are
masked in logs the moment they are read.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from rig import Challtestsrv, KeyVaultStandIn, Pebble

from renewer.acme.keychange import new_account_key, send_key_change
from renewer.app import make_plan
from renewer.core import redact
from renewer.core.models import CertificateSpec, Result
from renewer.execute.executor import Executor
from renewer.execute.rollover import roll_over
from renewer.execute.services import Services
from renewer.stores.contract import AccountRecord
from renewer.stores.keyvault.account import TAG_ACCOUNT_URI, account_secret_name
from tests.integration.test_keyvault_store import Rig, make_rig

pytestmark = pytest.mark.integration


@pytest.fixture
def rig(
    keyvault: KeyVaultStandIn,
    challtestsrv: Challtestsrv,
    pebble_factory: Callable[..., Pebble],
    monkeypatch: pytest.MonkeyPatch,
) -> Rig:
    return make_rig(keyvault, challtestsrv, pebble_factory, monkeypatch)


def _forced(spec: CertificateSpec) -> Result:
    """A forced renewal of ``spec`` by a fresh run (what the next scheduled run does)."""
    services = Services()
    plan, _state = make_plan([spec], services, force=True)
    (result,) = Executor(services, concurrency=1).execute(plan)
    return result


def _secret(rig: Rig) -> tuple[dict[str, str], dict[str, str]]:
    secret = rig.secrets().get_secret(account_secret_name(rig.pebble.directory_url))
    return json.loads(secret.value or ""), dict(secret.properties.tags or {})


def test_rollover_in_a_vault_keeps_the_url_and_its_tag(rig: Rig) -> None:
    spec = rig.spec("kvroll")
    _plan, results = rig.run([spec])
    assert results["kvroll"].outcome == "succeeded", results
    before, before_tags = _secret(rig)

    services = Services()
    done = roll_over(services.account(spec.acme, rig.store()))
    after, tags = _secret(rig)
    assert done.account_url == before["uri"] == after["uri"]
    assert after["key"] != before["key"] and "pending_key" not in after
    assert tags[TAG_ACCOUNT_URI] == before_tags[TAG_ACCOUNT_URI] == before["uri"]

    assert _forced(spec).outcome == "succeeded"
    assert _secret(rig)[0] == after  # no new account


def test_a_pending_key_in_the_vault_is_settled_by_the_next_run(rig: Rig) -> None:
    """As a kill right after the CA switched leaves it: both keys stored, the CA on the new."""
    spec = rig.spec("kvpending")
    assert rig.run([spec])[1]["kvpending"].outcome == "succeeded"
    before, _tags = _secret(rig)
    old_client = Services().account(spec.acme, rig.store()).client()  # signs with the old key
    store = rig.store()
    new_key = new_account_key()
    new_json = new_key.json_dumps()
    store.save_account(
        AccountRecord(rig.pebble.directory_url, before["key"], before["uri"], new_json)
    )
    loaded = store.load_account(rig.pebble.directory_url)
    assert loaded is not None and loaded.pending_key_json == new_json
    assert "rollover pending" in repr(loaded) and new_json not in repr(loaded)
    private = json.loads(new_json)["d"]
    assert private not in redact.redact(f"leaked {private}")  # masked once loaded
    send_key_change(old_client, new_key)  # the CA switches; the kill comes before step 4

    assert _forced(spec).outcome == "succeeded"
    settled, tags = _secret(rig)
    assert settled == {"directory": rig.pebble.directory_url, "uri": before["uri"], "key": new_json}
    assert tags[TAG_ACCOUNT_URI] == before["uri"]
