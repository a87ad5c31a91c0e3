"""Key Vault behaviour of the real service that the first stand-in missed (issue 11).

Each scenario drives the real SDK through renewer's store against the stand-in
(tests/rig/keyvault.py, keyvault_lifecycle.py) with Pebble and challtestsrv
behind the orders: soft-deleted names, transient 409s around pending
operations, import while an operation is pending, and the create-time
placeholder version, in both listing modes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from rig import Challtestsrv, KeyVaultStandIn, Pebble
from rig.keyvault_rbac import CERT_RECOVER

from renewer.config.types.store_keyvault import KeyVaultSettings
from renewer.core.models import ActionKind, CertificateSpec, Outcome
from renewer.core.settings import AzureSettings
from renewer.stores.contract import LockBusy, StoreError
from renewer.stores.keyvault import conflicts, lease, recovery
from renewer.stores.keyvault.policy import build_policy
from renewer.stores.keyvault.store import KeyVaultStore
from tests.integration.test_keyvault_store import (
    Rig,
    _self_signed_pfx,
    direct_store,
    make_rig,
    secret_client,
)

pytestmark = pytest.mark.integration

CREATE = "POST /certificates/{name}/create"
RECOVER = "POST /deletedcertificates/{name}/recover"
GET = "GET /certificates/{name}"
DELETE_PENDING = "DELETE /certificates/{name}/pending"
IMPORT = "POST /certificates/{name}/import"


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recovery, "POLL_INTERVAL", 0.1)
    monkeypatch.setattr(conflicts, "FIRST_PAUSE", 0.05)
    monkeypatch.setattr(lease, "SETTLE", 0.02)


@pytest.fixture
def rig(
    keyvault: KeyVaultStandIn,
    challtestsrv: Challtestsrv,
    pebble_factory: Callable[..., Pebble],
    monkeypatch: pytest.MonkeyPatch,
) -> Rig:
    return make_rig(keyvault, challtestsrv, pebble_factory, monkeypatch)


def with_store_option(spec: CertificateSpec, **options: Any) -> CertificateSpec:
    """``spec`` with some Key Vault settings changed (the backend is a frozen dataclass)."""
    backend = replace(spec.store.backend, **options)
    return replace(spec, store=replace(spec.store, backend=backend))


def issue_then_delete(rig: Rig, name: str) -> str:
    """A certificate renewer issued, then deleted by someone (soft delete keeps it)."""
    _plan, results = rig.run([rig.spec(name)])
    assert results[name].outcome is Outcome.SUCCEEDED, results[name].error
    first = rig.kv.vault.certificates[name].versions[0].version
    rig.certificates().begin_delete_certificate(name, _polling_interval=0.05).result()
    assert name in rig.kv.vault.deleted and name not in rig.kv.vault.certificates
    return first


# -- soft-deleted names ----------------------------------------------------------------------
def test_create_on_a_soft_deleted_name_is_409_object_is_deleted_but_recoverable(rig: Rig) -> None:
    from azure.core.exceptions import ResourceExistsError

    issue_then_delete(rig, "gone")
    with pytest.raises(ResourceExistsError) as raised:
        rig.certificates().begin_create_certificate(
            "gone", build_policy(rig.spec("gone"), True, "pkcs12")
        )
    assert raised.value.status_code == 409
    assert conflicts.inner_code(raised.value) == "ObjectIsDeletedButRecoverable"
    assert conflicts.classify(raised.value) is conflicts.Conflict.SOFT_DELETED


def test_soft_deleted_name_is_recovered_and_renewed_on_top_of_its_history(rig: Rig) -> None:
    first = issue_then_delete(rig, "gone")
    rig.kv.reset_counts()
    _plan, results = rig.run([rig.spec("gone")])
    assert results["gone"].outcome is Outcome.SUCCEEDED, results["gone"].error
    assert rig.kv.count(RECOVER, "gone") == 1
    # Recovery takes a moment: the SDK's poller met 404s before the object was back.
    gets = [r.status for r in rig.kv.requests_for("gone") if r.route == GET]
    assert 404 in gets and gets[-1] == 200, gets
    obj = rig.kv.vault.certificates["gone"]
    assert obj.versions[0].version == first and len(obj.versions) == 2
    assert "gone" not in rig.kv.vault.deleted


def test_on_soft_deleted_fail_says_since_when_and_what_to_do(rig: Rig) -> None:
    issue_then_delete(rig, "kept-deleted")
    specs = [with_store_option(rig.spec("kept-deleted"), on_soft_deleted="fail"), rig.spec("ok")]
    _plan, results = rig.run(specs)
    error = results["kept-deleted"].error or ""
    assert results["kept-deleted"].outcome is Outcome.FAILED
    assert "certificate kept-deleted is soft-deleted since 20" in error
    assert "recover or purge it" in error and "\n" not in error
    assert results["ok"].outcome is Outcome.SUCCEEDED  # one failure never stops the others
    assert rig.kv.count(RECOVER) == 0 and "kept-deleted" in rig.kv.vault.deleted


def test_recover_not_permitted_names_the_missing_permission(rig: Rig) -> None:
    issue_then_delete(rig, "no-recover")
    rig.kv.denied_actions.add(CERT_RECOVER)
    _plan, results = rig.run([rig.spec("no-recover"), rig.spec("fine")])
    error = results["no-recover"].error or ""
    assert results["no-recover"].outcome is Outcome.FAILED
    assert "may not recover it: grant Microsoft.KeyVault/vaults/certificates/recover/action" in (
        error
    )
    assert results["fine"].outcome is Outcome.SUCCEEDED


# -- transient 409s --------------------------------------------------------------------------
def test_transient_conflicts_are_retried_inside_the_deadline(rig: Rig) -> None:
    spec = rig.spec("busy", key="rsa-2048")
    rig.certificates().begin_create_certificate("busy", build_policy(spec, True, "pkcs12"))
    wanted = rig.spec("busy")  # another key type: the pending operation is stale
    rig.kv.inject(DELETE_PENDING, 2, "409-parallel", name="busy")
    rig.kv.inject(CREATE, 3, "409-deleting", name="busy")  # the first create, then two more
    _plan, results = rig.run([wanted])
    assert results["busy"].outcome is Outcome.SUCCEEDED, results["busy"].error
    kinds = [f.kind for f in rig.kv.faulted]
    assert kinds.count("409-parallel") == 2 and kinds.count("409-deleting") == 3
    assert rig.kv.vault.certificates["busy"].pending is not None  # completed, not open
    assert rig.kv.vault.certificates["busy"].pending.status == "completed"


def test_transient_conflict_that_outlasts_the_deadline_fails_alone(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(conflicts, "FIRST_PAUSE", 5.0)
    monkeypatch.setattr(conflicts, "BUDGET", 3.0)
    rig.kv.inject(CREATE, 50, "409-deleting", name="stuck")
    _plan, results = rig.run([rig.spec("stuck"), rig.spec("free")])
    error = results["stuck"].error or ""
    assert results["stuck"].outcome is Outcome.FAILED
    assert "vault" in error and "stuck" in error and "HTTP 409 Conflict" in error, error
    assert results["free"].outcome is Outcome.SUCCEEDED


def test_import_while_an_operation_is_pending_deletes_it_and_imports(rig: Rig) -> None:
    spec = rig.spec("switched", key_mode="import")
    rig.certificates().begin_create_certificate("switched", build_policy(spec, True, "pkcs12"))
    rig.kv.reset_counts()
    _plan, results = rig.run([spec])
    assert results["switched"].outcome is Outcome.SUCCEEDED, results["switched"].error
    statuses = [r.status for r in rig.kv.requests_for("switched") if r.route == IMPORT]
    assert statuses == [409, 200]
    assert rig.kv.count(DELETE_PENDING, "switched") == 1


# -- the create-time placeholder ---------------------------------------------------------------
@pytest.mark.parametrize("placeholder_current", [False, True], ids=["previous", "placeholder"])
def test_a_renewal_in_flight_never_reads_as_unmanaged(rig: Rig, placeholder_current: bool) -> None:
    rig.kv.vault.placeholder_current = placeholder_current
    spec = rig.spec("inflight")
    _plan, results = rig.run([spec])
    assert results["inflight"].outcome is Outcome.SUCCEEDED
    issued = rig.kv.vault.certificates["inflight"].versions[0]
    # A run that crashed after create: the operation and its placeholder are in the vault.
    rig.certificates().begin_create_certificate("inflight", build_policy(spec, True, "pkcs12"))
    listed = rig.certificates().list_properties_of_certificates()
    item = next(p for p in listed if p.name == "inflight")
    assert (item.enabled is False) is placeholder_current  # what the switch changes
    assert (item.x509_thumbprint is None) is placeholder_current

    stored = rig.store().list_current()["inflight"]
    assert stored.managed and stored.serial == format(issued.leaf.serial_number, "x")
    again = rig.store().current("inflight")
    assert again is not None and (again.managed, again.serial) == (True, stored.serial)
    plan, _results = rig.run([spec])
    assert plan.unmanaged == ()
    action = next(a for a in plan.actions if a.name == "inflight")
    assert action.kind is ActionKind.SKIP, action


@pytest.mark.parametrize("placeholder_current", [False, True], ids=["previous", "placeholder"])
def test_placeholder_survives_deleting_the_operation(rig: Rig, placeholder_current: bool) -> None:
    rig.kv.vault.placeholder_current = placeholder_current
    spec = rig.spec("first")
    op = rig.certificates().begin_create_certificate("first", build_policy(spec, True, "pkcs12"))
    version = rig.kv.vault.certificates["first"].pending.version  # type: ignore[union-attr]
    del op
    rig.certificates().delete_certificate_operation("first")
    held = rig.certificates().get_certificate_version("first", version)
    assert held.properties is not None and held.properties.enabled is False
    assert held.cer is None and held.properties.x509_thumbprint is None
    assert held.properties.not_before is not None and held.properties.expires_on is not None
    days = (held.properties.expires_on - held.properties.not_before).days
    assert 350 <= days <= 370  # the policy's default validity, 12 months
    # Nothing renewer issued: the next plan issues it (never "unmanaged", never "valid").
    plan, results = rig.run([spec])
    assert plan.unmanaged == ()
    assert results["first"].outcome is Outcome.SUCCEEDED, results["first"].error


# -- leases keep a flat history ---------------------------------------------------------------
def test_six_hundred_leases_leave_one_secret_version(
    keyvault: KeyVaultStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Key Vault backs up at most 500 versions of an object; a version per run would pass
    that in under two years of daily runs. 600 take-and-release cycles (two stores, as
    two runners) keep one version, and the lease still excludes a second holder."""
    monkeypatch.setattr(lease, "SETTLE", 0.0)
    stores = [direct_store(keyvault), direct_store(keyvault)]
    for run in range(600):
        with stores[run % 2].lock("daily"):
            pass
    secret = keyvault.vault.secrets["renewer-lock-daily"]
    assert len(secret.versions) == 1
    with stores[0].lock("daily"), pytest.raises(LockBusy), stores[1].lock("daily"):
        pass
    assert len(secret.versions) == 1
    listed = list(secret_client(keyvault).list_properties_of_secret_versions("renewer-lock-daily"))
    assert len(listed) == 1


def test_a_lease_from_an_older_renewer_is_taken_over_once(keyvault: KeyVaultStandIn) -> None:
    """A lock secret whose value holds the claim (the old format) gets one new version in
    renewer's format, then is reused."""
    secrets = secret_client(keyvault)
    past = datetime.now(UTC) - timedelta(minutes=1)
    secrets.set_secret("renewer-lock-old", '{"owner": "x", "who": "run 1"}', expires_on=past)
    for _ in range(5):
        with direct_store(keyvault).lock("old"):
            pass
    assert len(keyvault.vault.secrets["renewer-lock-old"].versions) == 2


def test_a_deleted_lock_secret_is_recovered_not_a_failure_forever(
    keyvault: KeyVaultStandIn,
) -> None:
    """Someone deletes a lock secret: with soft delete its name answers 409
    ObjectIsDeletedButRecoverable to every write; the lease recovers it and goes on."""
    from azure.core.exceptions import ResourceExistsError

    with direct_store(keyvault).lock("tidy"):
        pass
    secrets = secret_client(keyvault)
    secrets.begin_delete_secret("renewer-lock-tidy", _polling_interval=0.05).wait()
    assert "renewer-lock-tidy" in keyvault.vault.deleted_secrets
    with pytest.raises(ResourceExistsError) as raised:
        secrets.set_secret("renewer-lock-tidy", "x")
    assert conflicts.inner_code(raised.value) == "ObjectIsDeletedButRecoverable"
    keyvault.reset_counts()
    with direct_store(keyvault).lock("tidy"):
        pass
    assert keyvault.count("POST /deletedsecrets/{name}/recover", "renewer-lock-tidy") == 1
    assert "renewer-lock-tidy" not in keyvault.vault.deleted_secrets
    failing = KeyVaultStore(
        KeyVaultSettings(
            keyvault.url, AzureSettings(ca_bundle=keyvault.ca_bundle), on_soft_deleted="fail"
        ),
        keyvault.credential(),
    )
    secrets.begin_delete_secret("renewer-lock-tidy", _polling_interval=0.05).wait()
    soft = "secret renewer-lock-tidy is soft-deleted; recover"
    with pytest.raises(StoreError, match=soft), failing.lock("tidy"):
        pass


def test_someone_elses_disabled_certificate_stays_unmanaged(rig: Rig) -> None:
    """A disabled item resolves to an enabled version; with none, a merged certificate is
    still someone else's: unmanaged, never issued over."""
    client = rig.certificates()
    client.import_certificate("theirs-off", _self_signed_pfx("off.example"), enabled=False)
    listed = rig.store().list_current()
    assert not listed["theirs-off"].managed
    plan, _results = rig.run([rig.spec("mine")])
    assert plan.unmanaged == ("theirs-off",)
    assert rig.kv.count(CREATE, "theirs-off") == 0
    assert len(rig.kv.vault.certificates["theirs-off"].versions) == 1
