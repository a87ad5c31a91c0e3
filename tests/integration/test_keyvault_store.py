"""The Key Vault store on the real rig.

Pebble issues, challtestsrv serves DNS-01, renewer's Executor and Services run
the orders, and the store drives the REAL azure-keyvault-certificates /
-secrets clients against the Key Vault REST stand-in (tests/rig/keyvault.py:
HTTPS, challenge auth, server-side keys and CSRs, merge checks, linked secrets).
"""

from __future__ import annotations

import base64
import inspect
import itertools
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from azure.keyvault.certificates import CertificateClient, CertificatePolicy
from azure.keyvault.secrets import SecretClient
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from rig import Challtestsrv, KeyVaultStandIn, Pebble

import renewer.azure.signin
from renewer.app import make_plan
from renewer.config.types.dns_challtestsrv import ChallTestSrvSettings
from renewer.config.types.store_keyvault import KeyVaultSettings
from renewer.core.models import ActionKind, CertificateSpec, Outcome, Plan, Result
from renewer.core.settings import (
    AcmeSettings,
    AzureSettings,
    DnsSettings,
    PropagationSettings,
    StoreSettings,
)
from renewer.execute.executor import Executor
from renewer.execute.services import Services
from renewer.plan import budget
from renewer.stores.contract import LockBusy, StoreError
from renewer.stores.keyvault import lease
from renewer.stores.keyvault.policy import MANAGED_BY, TAG_FINGERPRINT, build_policy
from renewer.stores.keyvault.store import KeyVaultStore, account_secret_name

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
RENEWER_DIR = str(REPO / "renewer")
GRANT = (
    "grant 'Key Vault Certificates Officer' (and 'Key Vault Secrets Officer' on the account secret)"
)


@dataclass
class Rig:
    kv: KeyVaultStandIn
    dns: Challtestsrv
    pebble: Pebble

    def spec(
        self,
        name: str,
        domains: Sequence[str] | None = None,
        *,
        key: str = "ec-p256",
        key_mode: str = "csr",
        content_type: str = "pkcs12",
        tags: dict[str, str] | None = None,
    ) -> CertificateSpec:
        return CertificateSpec(
            name=name,
            domains=tuple(domains or (f"{name}.example.test",)),
            key=key,
            acme=AcmeSettings(directory=self.pebble.directory_url, ca_bundle=self.pebble.ca_bundle),
            dns=DnsSettings(
                type="challtestsrv",
                provider=ChallTestSrvSettings(self.dns.management_url),
                propagation=PropagationSettings(
                    nameservers=(self.dns.dns_address,), timeout=20.0, interval=0.05
                ),
            ),
            store=StoreSettings(
                type="keyvault",
                backend=KeyVaultSettings(
                    self.kv.url,
                    AzureSettings(ca_bundle=self.kv.ca_bundle),
                    key_mode=key_mode,
                    exportable=True,
                    content_type=content_type,
                ),
            ),
            tags=tags or {},
        )

    def run(
        self,
        specs: Sequence[CertificateSpec],
        services: Services | None = None,
        limits: budget.Limits | None = None,
    ) -> tuple[Plan, dict[str, Result]]:
        services = services or Services()
        plan, state = make_plan(specs, services, limits=limits)
        assert not state.unreadable, state.unreadable  # a listing failure, said as such
        results = Executor(services, concurrency=10).execute(plan)
        return plan, {r.name: r for r in results}

    def certificates(self) -> CertificateClient:
        return CertificateClient(self.kv.url, self.kv.credential(), **sdk_options(self.kv))

    def secrets(self) -> SecretClient:
        return secret_client(self.kv)

    def store(self) -> KeyVaultStore:
        return direct_store(self.kv)


def sdk_options(kv: KeyVaultStandIn) -> dict[str, Any]:
    return {"verify_challenge_resource": False, "connection_verify": str(kv.ca_bundle)}


def secret_client(kv: KeyVaultStandIn) -> SecretClient:
    return SecretClient(kv.url, kv.credential(), **sdk_options(kv))


def direct_store(kv: KeyVaultStandIn) -> KeyVaultStore:
    return KeyVaultStore(
        KeyVaultSettings(kv.url, AzureSettings(ca_bundle=kv.ca_bundle)), kv.credential()
    )


@pytest.fixture(autouse=True)
def quick_lease(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lease, "SETTLE", 0.02)


@pytest.fixture
def rig(
    keyvault: KeyVaultStandIn,
    challtestsrv: Challtestsrv,
    pebble_factory: Callable[..., Pebble],
    monkeypatch: pytest.MonkeyPatch,
) -> Rig:
    return make_rig(keyvault, challtestsrv, pebble_factory, monkeypatch)


def make_rig(
    keyvault: KeyVaultStandIn,
    challtestsrv: Challtestsrv,
    pebble_factory: Callable[..., Pebble],
    monkeypatch: pytest.MonkeyPatch,
) -> Rig:
    """The rig fixture's body, for other modules' fixtures."""
    # Two intermediates, so a reordered chain would show (the vault is asked to keep order).
    pebble = pebble_factory(dns_server=challtestsrv.dns_address, chain_length=4)
    monkeypatch.setattr(
        renewer.azure.signin, "azure_credential", lambda _azure: keyvault.credential()
    )
    return Rig(keyvault, challtestsrv, pebble)


# -- checks --------------------------------------------------------------------------------
def public(key: Any) -> bytes:
    return bytes(
        key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def linked_secret(rig: Rig, name: str) -> tuple[Any, list[x509.Certificate], str]:
    """The certificate's linked secret as a consumer reads it: key, chain, content type."""
    secret = rig.secrets().get_secret(name)
    content_type = str(secret.properties.content_type)
    value = secret.value or ""
    if content_type == "application/x-pkcs12":
        key, leaf, extra = pkcs12.load_key_and_certificates(base64.b64decode(value), None)
        assert leaf is not None
        return key, [leaf, *extra], content_type
    assert content_type == "application/x-pem-file"
    key = serialization.load_pem_private_key(value.encode(), None)
    return key, x509.load_pem_x509_certificates(value.encode()), content_type


def sans(cert: x509.Certificate) -> set[str]:
    ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    return set(ext.value.get_values_for_type(x509.DNSName))


def assert_usable(rig: Rig, spec: CertificateSpec, content_type: str) -> x509.Certificate:
    """The vault holds a complete, ordered chain up to Pebble's root and the matching key."""
    key, chain, found_type = linked_secret(rig, spec.name)
    assert (
        found_type
        == {"pkcs12": "application/x-pkcs12", "pem": "application/x-pem-file"}[content_type]
    )
    leaf = chain[0]
    assert len(chain) >= 3  # leaf + at least two intermediates (Pebble chain_length)
    assert public(key.public_key()) == public(leaf.public_key())
    assert sans(leaf) == set(spec.domains)
    for child, parent in itertools.pairwise(chain):
        child.verify_directly_issued_by(parent)
    roots = [x509.load_pem_x509_certificate(p.encode()) for p in rig.pebble.roots_pem()]
    root = next((r for r in roots if r.subject == chain[-1].issuer), None)
    assert root is not None, "the chain does not end at a Pebble root"
    chain[-1].verify_directly_issued_by(root)
    cer = rig.certificates().get_certificate(spec.name).cer
    assert cer is not None and x509.load_der_x509_certificate(bytes(cer)) == leaf
    return leaf


# -- 1. csr mode ---------------------------------------------------------------------------
@pytest.mark.parametrize(("content_type", "key"), [("pkcs12", "ec-p256"), ("pem", "rsa-3072")])
def test_csr_mode_issues_into_the_vault(rig: Rig, content_type: str, key: str) -> None:
    spec = rig.spec(
        "web-one",
        ["web-one.example.test", "*.web-one.example.test"],
        key=key,
        content_type=content_type,
        tags={"owner": "web-team"},
    )
    _plan, results = rig.run([spec])
    assert results["web-one"].outcome is Outcome.SUCCEEDED, results["web-one"].error

    leaf = assert_usable(rig, spec, content_type)
    leaf_key = leaf.public_key()
    if key == "rsa-3072":
        assert isinstance(leaf_key, rsa.RSAPublicKey) and leaf_key.key_size == 3072
    else:
        assert isinstance(leaf_key, ec.EllipticCurvePublicKey)
    cert = rig.certificates().get_certificate("web-one")
    assert cert.policy is not None and cert.policy.issuer_name == "Unknown"
    tags = cert.properties.tags if cert.properties else None
    assert tags is not None and tags[MANAGED_BY] == "renewer" and tags["owner"] == "web-team"
    assert tags[TAG_FINGERPRINT] == spec.fingerprint()
    assert len(tags) <= 15 and all(len(v) <= 256 for v in tags.values())
    stored = rig.store().current("web-one")
    assert stored is not None and stored.serial == format(leaf.serial_number, "x")
    assert stored.domains is not None and set(stored.domains) == set(spec.domains)


# -- 2. the key never leaves the vault -----------------------------------------------------
def test_csr_mode_process_never_holds_the_private_key(
    rig: Rig, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    generated: list[tuple[str, Any]] = []
    loaded: list[str] = []

    def watch_generate(module: Any, attr: str) -> None:
        original = getattr(module, attr)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            key = original(*args, **kwargs)
            generated.append((inspect.stack()[1].filename, key))
            return key

        monkeypatch.setattr(module, attr, wrapper)

    def watch_load(module: Any, attr: str) -> None:
        original = getattr(module, attr)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            loaded.append(inspect.stack()[1].filename)
            return original(*args, **kwargs)

        monkeypatch.setattr(module, attr, wrapper)

    def forbidden(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("csr mode must not make or serialise a key in this process")

    watch_generate(ec, "generate_private_key")
    watch_generate(rsa, "generate_private_key")
    for attr in ("load_pem_private_key", "load_der_private_key"):
        watch_load(serialization, attr)
    watch_load(pkcs12, "load_key_and_certificates")
    monkeypatch.setattr("renewer.stores.keyvault.store.generate_key", forbidden)
    monkeypatch.setattr("renewer.stores.keyvault.store.key_to_pem", forbidden)
    monkeypatch.setattr("renewer.core.certs.generate_key", forbidden)
    caplog.set_level("DEBUG")

    spec = rig.spec("no-key-here", key="ec-p384")
    _plan, results = rig.run([spec])
    assert results["no-key-here"].outcome is Outcome.SUCCEEDED, results["no-key-here"].error

    ours = [(f, k) for f, k in generated if f.startswith(RENEWER_DIR)]
    # The only key renewer makes is its ACME account key, which is not the certificate's.
    assert {f for f, _ in ours} <= {str(REPO / "renewer" / "acme" / "client.py")}
    assert not [f for f in loaded if f.startswith(RENEWER_DIR)]
    leaf = x509.load_der_x509_certificate(
        bytes(rig.certificates().get_certificate("no-key-here").cer or b"")
    )
    assert all(public(k.public_key()) != public(leaf.public_key()) for _, k in ours)
    # The vault made the key: the pending CSR it handed out carries the leaf's key.
    sent = [r for r in rig.kv.requests_for("no-key-here") if r.body]
    assert "POST /certificates/{name}/pending/merge" in {r.route for r in sent}
    assert "POST /certificates/{name}/import" not in {r.route for r in sent}
    for request in sent:
        assert b"PRIVATE KEY" not in request.body
        assert b'"value"' not in request.body  # no PFX/PEM bundle was uploaded
    assert "PRIVATE KEY" not in caplog.text
    assert not list(tmp_path.iterdir())  # nothing written next to the test either


# -- 3. import mode ------------------------------------------------------------------------
@pytest.mark.parametrize(("content_type", "key"), [("pkcs12", "rsa-2048"), ("pem", "ec-p256")])
def test_import_mode_issues_into_the_vault(rig: Rig, content_type: str, key: str) -> None:
    spec = rig.spec("imported", key=key, key_mode="import", content_type=content_type)
    _plan, results = rig.run([spec])
    assert results["imported"].outcome is Outcome.SUCCEEDED, results["imported"].error
    assert_usable(rig, spec, content_type)
    routes = {r.route for r in rig.kv.requests_for("imported")}
    assert "POST /certificates/{name}/import" in routes
    assert "POST /certificates/{name}/create" not in routes
    stored = rig.store().list_current()["imported"]
    assert stored.managed and stored.fingerprint == spec.fingerprint()


# -- 4. the no-op run: one paged list, no per-certificate GET -------------------------------
def test_second_run_lists_in_pages_and_skips(rig: Rig) -> None:
    specs = [rig.spec(f"bulk-{i:02d}") for i in range(60)]
    # 60 new certificates under one registered domain: past Let's Encrypt's 50 a week,
    # which the default budget keeps (plan/budget.py); Pebble has no such limit.
    _plan, results = rig.run(specs, limits=budget.Limits(per_domain=1000))
    failed = {n: r.error for n, r in results.items() if r.outcome is not Outcome.SUCCEEDED}
    assert not failed

    rig.kv.reset_counts()
    plan, again = rig.run(specs, Services())
    assert {a.kind for a in plan.actions} == {ActionKind.SKIP}
    assert {r.outcome for r in again.values()} == {Outcome.SKIPPED}
    assert dict(rig.kv.counts) == {"GET /certificates": 3}  # 25 + 25 + 10, nothing else
    assert rig.kv.count("GET /certificates/{name}") == 0


# -- 5. unmanaged certificates -------------------------------------------------------------
def _self_signed_pfx(name: str) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3))  # nearly expired: renewer must still not touch it
        .sign(key, hashes.SHA256())
    )
    return pkcs12.serialize_key_and_certificates(
        None, key, cert, None, serialization.NoEncryption()
    )


def test_unmanaged_certificates_are_listed_and_untouched(rig: Rig) -> None:
    client = rig.certificates()
    client.begin_create_certificate(
        "legacy-web", CertificatePolicy.get_default(), _polling_interval=0
    ).result()
    client.import_certificate("hand-made", _self_signed_pfx("hand.example"), tags={"owner": "ops"})
    before = {n: client.get_certificate(n).properties for n in ("legacy-web", "hand-made")}

    listed = rig.store().list_current()
    assert not listed["legacy-web"].managed and not listed["hand-made"].managed

    rig.kv.reset_counts()
    plan, results = rig.run([rig.spec("managed-one")])
    assert plan.unmanaged == ("hand-made", "legacy-web")
    assert results["managed-one"].outcome is Outcome.SUCCEEDED
    for name, props in before.items():
        assert rig.kv.requests_for(name) == []
        after = client.get_certificate(name).properties
        assert after is not None and props is not None
        assert (after.version, after.tags) == (props.version, props.tags)


# -- 6. a pending operation left by a crashed run -------------------------------------------
def _leave_pending(rig: Rig, spec: CertificateSpec) -> bytes:
    """What a run that crashed after 'create' leaves behind: an open operation."""
    operation = (
        rig.certificates()
        .begin_create_certificate(
            spec.name, build_policy(spec, True, "pkcs12"), preserve_order=True
        )
        .result()
    )
    csr = getattr(operation, "csr", None)
    assert csr
    return public(x509.load_der_x509_csr(bytes(csr)).public_key())


def test_pending_operation_of_a_crashed_run_is_reused(rig: Rig) -> None:
    spec = rig.spec("crashed", ["crashed.example.test", "www.crashed.example.test"])
    pending_key = _leave_pending(rig, spec)
    rig.kv.reset_counts()

    _plan, results = rig.run([spec])
    assert results["crashed"].outcome is Outcome.SUCCEEDED, results["crashed"].error
    leaf = assert_usable(rig, spec, "pkcs12")
    assert public(leaf.public_key()) == pending_key  # the earlier run's vault key was merged
    assert rig.kv.count("POST /certificates/{name}/create", "crashed") == 1  # the 409
    assert rig.kv.count("DELETE /certificates/{name}/pending", "crashed") == 0


def test_stale_pending_operation_is_deleted_and_issuance_succeeds(rig: Rig) -> None:
    old = rig.spec("renamed", ["old-name.example.test"], key="rsa-2048")
    stale_key = _leave_pending(rig, old)
    spec = rig.spec("renamed", ["new-name.example.test"])
    rig.kv.reset_counts()

    _plan, results = rig.run([spec])
    assert results["renamed"].outcome is Outcome.SUCCEEDED, results["renamed"].error
    leaf = assert_usable(rig, spec, "pkcs12")
    assert public(leaf.public_key()) != stale_key
    assert rig.kv.count("DELETE /certificates/{name}/pending", "renamed") == 1
    assert rig.kv.count("POST /certificates/{name}/create", "renamed") == 2  # 409, then new


@pytest.mark.parametrize("placeholder_current", [False, True], ids=["previous", "placeholder"])
def test_failed_order_leaves_no_pending_operation(rig: Rig, placeholder_current: bool) -> None:
    """Real Key Vault keeps the create-time placeholder version after the operation is
    deleted (tests/rig/keyvault_lifecycle.py); nothing else may be left, and the next
    run (either listing mode) issues the certificate as new, never reading the
    placeholder as an unmanaged or valid certificate."""
    rig.kv.vault.placeholder_current = placeholder_current
    base = rig.spec("doomed")
    spec = replace(base, acme=replace(base.acme, profile="no-such-profile"))  # CA refuses
    # The plan already refuses a profile the directory lacks; the order must clean up
    # when the CA refuses later (its offer changed between plan and order): plan the
    # certificate as the CA could issue it, then order it with the refused profile.
    services = Services()
    plan, _state = make_plan([base], services)
    plan = replace(plan, actions=tuple(replace(a, spec=spec) for a in plan.actions))
    results = {r.name: r for r in Executor(services, concurrency=10).execute(plan)}
    assert results["doomed"].outcome is Outcome.FAILED
    assert rig.kv.count("DELETE /certificates/{name}/pending", "doomed") == 1
    left = rig.kv.vault.certificates["doomed"]
    assert left.pending is None and left.versions == []  # no operation, no certificate
    assert [p.version for p in left.placeholders] == left.order  # only the placeholder
    plan, results = rig.run([base])
    assert plan.unmanaged == () and plan.actions[0].kind is ActionKind.ISSUE
    assert results["doomed"].outcome is Outcome.SUCCEEDED, results["doomed"].error


# -- 7. permission errors ------------------------------------------------------------------
def test_forbidden_certificate_fails_alone_with_one_clear_line(rig: Rig) -> None:
    rig.kv.forbidden.add("locked-down")
    specs = [rig.spec("open-one"), rig.spec("locked-down"), rig.spec("open-two")]
    _plan, results = rig.run(specs)
    assert results["open-one"].outcome is Outcome.SUCCEEDED
    assert results["open-two"].outcome is Outcome.SUCCEEDED
    failed = results["locked-down"]
    assert failed.outcome is Outcome.FAILED
    assert (
        failed.error == f"no permission on vault {rig.kv.url} for certificate locked-down: {GRANT}"
    )
    assert "\n" not in failed.error
    tokens = list(rig.kv._tokens)
    assert tokens and not any(t in failed.error for t in tokens)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://renewer-missing.invalid", "vault https://renewer-missing.invalid unreachable"),
        ("https://127.0.0.1:9", "vault https://127.0.0.1:9 unreachable"),
    ],
)
def test_unreachable_vault_is_one_line(keyvault: KeyVaultStandIn, url: str, expected: str) -> None:
    store = KeyVaultStore(
        KeyVaultSettings(url, AzureSettings()), keyvault.credential(), retry_total=0
    )
    with pytest.raises(StoreError) as caught:
        store.list_current()
    assert str(caught.value) == f"{expected} (the certificate list)"


# -- 8. the ACME account lives in the vault ------------------------------------------------
def test_account_secret_is_created_once_and_reused(rig: Rig) -> None:
    name = account_secret_name(rig.pebble.directory_url)
    _plan, first = rig.run([rig.spec("acct-one")])
    assert first["acct-one"].outcome is Outcome.SUCCEEDED
    secrets = rig.secrets()
    versions = list(secrets.list_properties_of_secret_versions(name))
    assert len(versions) == 1 and versions[0].content_type == "application/json"
    record = secrets.get_secret(name)
    assert '"uri": "https://' in (record.value or "")

    rig.kv.reset_counts()
    _plan, second = rig.run([rig.spec("acct-two")], Services())
    assert second["acct-two"].outcome is Outcome.SUCCEEDED
    assert rig.kv.count("GET /secrets/{name}", name) == 1  # loaded once
    assert rig.kv.count("PUT /secrets/{name}", name) == 0  # no new account saved
    assert secrets.get_secret(name).value == record.value


# -- 9. leases -----------------------------------------------------------------------------
def test_lease_blocks_a_second_holder_until_released(keyvault: KeyVaultStandIn) -> None:
    first, second = direct_store(keyvault), direct_store(keyvault)
    busy = r"shared is being renewed by another run \(.*lease until"
    with first.lock("shared"), pytest.raises(LockBusy, match=busy), second.lock("shared"):
        pass
    with second.lock("shared"):
        pass


def test_expired_lease_is_taken_over(keyvault: KeyVaultStandIn) -> None:
    secrets = secret_client(keyvault)
    crashed = '{"owner": "crashed-run", "who": "renew run 41"}'
    past = datetime.now(UTC) - timedelta(minutes=1)
    secrets.set_secret("renewer-lock-stuck", crashed, expires_on=past)
    with direct_store(keyvault).lock("stuck"):
        holder = secrets.get_secret("renewer-lock-stuck")
        assert "crashed-run" not in (holder.value or "")
    live = datetime.now(UTC) + timedelta(minutes=10)
    secrets.set_secret("renewer-lock-stuck", crashed, expires_on=live)
    with pytest.raises(LockBusy, match="renew run 41"), direct_store(keyvault).lock("stuck"):
        pass


def test_lease_lost_to_a_later_writer_is_busy(
    keyvault: KeyVaultStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two runs that both saw no lease: the one that wrote last holds it."""
    monkeypatch.setattr(lease, "SETTLE", 0.5)
    secrets = secret_client(keyvault)

    def later_writer() -> None:
        live = datetime.now(UTC) + timedelta(minutes=10)
        secrets.set_secret(
            "renewer-lock-raced", '{"owner": "other", "who": "run 7"}', expires_on=live
        )

    timer = threading.Timer(0.2, later_writer)
    timer.start()
    try:
        with pytest.raises(LockBusy, match="run 7"), direct_store(keyvault).lock("raced"):
            pass
    finally:
        timer.join()


def test_heartbeat_keeps_a_long_lease_alive_and_a_dead_one_lapses(
    keyvault: KeyVaultStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A holder that lives past LEASE keeps its lease (heartbeats); once it stops, the
    lease lapses within LEASE without any release."""
    monkeypatch.setattr(lease, "LEASE", timedelta(seconds=1.5))
    monkeypatch.setattr(lease, "HEARTBEAT", 0.3)
    secrets = secret_client(keyvault)
    with direct_store(keyvault).lock("long"):
        threading.Event().wait(3.0)  # twice the lease, still held
        with (
            pytest.raises(LockBusy, match="long is being renewed"),
            direct_store(keyvault).lock("long"),
        ):
            pass
        expires = secrets.get_secret("renewer-lock-long").properties.expires_on
        assert expires is not None and expires > datetime.now(UTC)
    # A lease whose heartbeat died (killed run): written directly, never extended.
    lapsing = datetime.now(UTC) + timedelta(seconds=1.5)
    secrets.set_secret("renewer-lock-dead", '{"owner": "x", "who": "pid 1"}', expires_on=lapsing)
    with pytest.raises(LockBusy), direct_store(keyvault).lock("dead"):
        pass
    threading.Event().wait(2.0)
    with direct_store(keyvault).lock("dead"):
        pass
