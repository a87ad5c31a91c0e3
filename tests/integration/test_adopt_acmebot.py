"""Taking over keyvault-acmebot's certificates: blocked without ``adopt``, renewed with it.

The vault is the Key Vault stand-in (real azure-keyvault SDKs at the HTTP
boundary), the CA is Pebble, DNS-01 goes to challtestsrv, and the run is the real
CLI (``python -m renewer``, signing in through the GitHub OIDC and Entra
stand-ins). The "acmebot" certificate is made the way acmebot makes one (a key
and CSR made in the vault under issuer ``Unknown``, an ACME order by an account
that is not renewer's, the chain merged back) and then carries acmebot's tags,
in its v4 style (``Issuer``/``Endpoint``/``DnsProvider``) or its v5 style (one
``Acmebot`` JSON tag with ``certificateId``). Its policy differs from the
config's (RSA 2048 vs EC P-256, two names vs three).

While the adopting run works, a thread polls the versionless secret URL a VM
extension watches (``GET /secrets/<name>``): every answer must be the whole
certificate (first acmebot's, then renewer's), never a 404 nor any other error.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from rig import Challtestsrv, EntraTokenService, GithubOidcIssuer, KeyVaultStandIn, Pebble
from rig.pebble import PebbleProfile

from renewer.core.certs import ari_cert_id
from renewer.core.models import Outcome
from renewer.report.escalation import classify_expiry
from renewer.stores.keyvault.account import account_secret_name
from renewer.stores.keyvault.foreign import ACMEBOT_TAGS
from renewer.stores.keyvault.policy import MANAGED_BY
from tests.integration.runner import CliResult, run_cli, write_config
from tests.integration.test_keyvault_store import Rig, make_rig, sans
from tests.integration.test_keyvault_store import quick_lease as quick_lease  # autouse
from tests.resilience.common import challtestsrv_dns

pytestmark = pytest.mark.integration

NAME = "web"
THEIRS = ("web.example.test", "www.web.example.test")  # acmebot's names
OURS = (*THEIRS, "api.web.example.test")  # the config's: one more
SHORT, LONG = "short", "long"  # Pebble profiles: acmebot's two-day certificate, ours


@pytest.fixture(params=[False, True], ids=["previous-current", "placeholder-current"])
def placeholder_mode(request: pytest.FixtureRequest, keyvault: KeyVaultStandIn) -> bool:
    """Both ways the vault may list a renewal in flight (tests/rig/keyvault_lifecycle.py)."""
    keyvault.vault.placeholder_current = bool(request.param)
    return bool(request.param)


@pytest.fixture
def rig(
    keyvault: KeyVaultStandIn,
    challtestsrv: Challtestsrv,
    pebble_factory: Callable[..., Pebble],
    monkeypatch: pytest.MonkeyPatch,
) -> Rig:
    pebble = pebble_factory(
        dns_server=challtestsrv.dns_address,
        profiles={SHORT: PebbleProfile(validity_period=2 * 86400), LONG: PebbleProfile()},
    )
    return make_rig(keyvault, challtestsrv, lambda **_kw: pebble, monkeypatch)


@pytest.fixture
def env(
    github_oidc: GithubOidcIssuer, entra: EntraTokenService, keyvault: KeyVaultStandIn
) -> dict[str, str]:
    """The CLI signs in through the GitHub OIDC and Entra stand-ins; the vault takes it."""
    entra.token_factory = lambda _scope: keyvault.mint_token().token
    keyvault.tenant_id = entra.tenant_id
    return {
        "ACTIONS_ID_TOKEN_REQUEST_URL": github_oidc.request_url,
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": github_oidc.request_token,
        "AZURE_TENANT_ID": entra.tenant_id,
        "AZURE_CLIENT_ID": entra.client_id,
        "REQUESTS_CA_BUNDLE": str(github_oidc.ca_bundle),
    }


def acmebot_tags(style: str, leaf: x509.Certificate) -> dict[str, str]:
    """The tags acmebot writes (its CertificateExtensions, v4 and v5), for this Pebble."""
    if style == "v4":
        return {"Issuer": "Acmebot", "Endpoint": "127.0.0.1", "DnsProvider": "AzureDns"}
    meta = {"endpoint": "127.0.0.1", "dnsProvider": "AzureDns", "certificateId": ari_cert_id(leaf)}
    return {"Acmebot": json.dumps(meta, separators=(",", ":"))}


def seed_acmebot_certificate(rig: Rig, style: str) -> x509.Certificate:
    """An acmebot-issued certificate: RSA 2048, two names, two days left, acmebot's tags.

    Issued into the vault as acmebot does it (key and CSR made in the vault, issuer
    Unknown, chain merged back), by an ACME account that is then forgotten: renewer's
    run later registers its own, as it would in a vault acmebot filled.
    """
    spec = rig.spec(NAME, list(THEIRS), key="rsa-2048")
    spec = replace(spec, acme=replace(spec.acme, profile=SHORT))
    _plan, results = rig.run([spec])
    assert results[NAME].outcome is Outcome.SUCCEEDED, results[NAME].error
    with rig.kv.vault.lock:  # acmebot's account lives in acmebot's Function App, not here
        rig.kv.vault.secrets.pop(account_secret_name(spec.acme.directory).lower())
    certs = rig.certificates()
    current = certs.get_certificate(NAME)
    assert current.cer is not None and current.properties is not None
    leaf = x509.load_der_x509_certificate(bytes(current.cer))
    certs.update_certificate_properties(
        NAME, current.properties.version, tags=acmebot_tags(style, leaf)
    )
    return leaf


@dataclass
class SecretPoller:
    """GET secrets/<name> (versionless) as fast as it answers, until stopped."""

    rig: Rig
    serials: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        client = self.rig.secrets()
        while not self.stop.is_set():
            try:
                value = client.get_secret(NAME).value or ""
                _key, leaf, _chain = pkcs12.load_key_and_certificates(base64.b64decode(value), None)
                assert leaf is not None
                self.serials.append(leaf.serial_number)
            except HttpResponseError as exc:
                self.errors.append(f"{exc.status_code} {exc.reason}")
            except Exception as exc:  # a secret that is not a whole PKCS#12 is an outage too
                self.errors.append(repr(exc))

    def changes(self) -> list[int]:
        """The distinct serials in the order they were served."""
        seen: list[int] = []
        for serial in self.serials:
            if not seen or seen[-1] != serial:
                seen.append(serial)
        return seen


@pytest.fixture
def poller(rig: Rig) -> Iterator[SecretPoller]:
    found = SecretPoller(rig)
    yield found
    found.stop.set()


def config(tmp_path: Path, rig: Rig, entra: EntraTokenService, **cert: Any) -> Path:
    return write_config(
        tmp_path / "certificates.yaml",
        {
            "acme": {
                "directory": rig.pebble.directory_url,
                "ca_bundle": str(rig.pebble.ca_bundle),
                "profile": LONG,
            },
            "azure": {"authority_host": entra.authority_host, "ca_bundle": str(rig.kv.ca_bundle)},
            "store": {"type": "keyvault", "vault_url": rig.kv.url},
            "dns": challtestsrv_dns(rig.dns),
            "defaults": {"renew_before": "5d"},
            "certificates": [{"name": NAME, "domains": list(OURS), **cert}],
        },
    )


def polled(poller: SecretPoller, action: Callable[[], CliResult]) -> CliResult:
    """Run ``action`` while the poller reads the versionless secret URL."""
    thread = threading.Thread(target=poller.run, name="secret-poller", daemon=True)
    thread.start()
    try:
        return action()
    finally:
        poller.stop.set()
        thread.join(10)


# -- Done when: a due acmebot certificate is renewed under its name in one run -------------
@pytest.mark.parametrize("style", ["v4", "v5"])
def test_adopt_renews_a_due_acmebot_certificate_under_its_name_without_a_404(
    rig: Rig,
    env: dict[str, str],
    entra: EntraTokenService,
    poller: SecretPoller,
    placeholder_mode: bool,
    style: str,
    tmp_path: Path,
) -> None:
    theirs = seed_acmebot_certificate(rig, style)
    cfg = config(tmp_path, rig, entra, adopt=True)

    plan = json.loads(run_cli("plan", "-c", str(cfg), "--format", "json", env=env).stdout)
    (row,) = plan["certificates"]
    assert row["action"] == "renew"
    assert row["reason"].startswith(
        f"adopt (issued by acmebot ({style} tag{'s' if style == 'v4' else ''}, "
        "ACME endpoint 127.0.0.1, DNS provider AzureDns), expires "
    )
    assert "domains changed: +api.web.example.test" in row["reason"]
    assert "key type changed: rsa-2048 -> ec-p256" in row["reason"]

    result = polled(poller, lambda: run_cli("renew", "-c", str(cfg), env=env))
    assert result.code == 0, result.output
    assert "1 succeeded, 0 failed" in result.stdout

    # The versionless secret answered every time: acmebot's certificate, then renewer's.
    assert poller.errors == [], poller.errors[:5]
    assert len(poller.serials) >= 20, "the poller barely ran"
    changes = poller.changes()
    assert changes[0] == theirs.serial_number and len(changes) == 2, changes

    certs = rig.certificates()
    current = certs.get_certificate(NAME)
    assert current.cer is not None and current.properties is not None
    ours = x509.load_der_x509_certificate(bytes(current.cer))
    assert changes[1] == ours.serial_number
    assert isinstance(ours.public_key(), ec.EllipticCurvePublicKey)
    assert isinstance(theirs.public_key(), rsa.RSAPublicKey)
    assert sans(ours) == set(OURS)
    tags = dict(current.properties.tags or {})
    assert tags[MANAGED_BY] == "renewer" and not ACMEBOT_TAGS & set(tags)
    policy = certs.get_certificate_policy(NAME)
    assert str(policy.key_type) in ("EC", "KeyType.ec") and set(policy.san_dns_names or ()) == set(
        OURS
    )
    # Nothing was deleted: acmebot's version is still there, behind renewer's.
    versions = {v.version for v in certs.list_properties_of_certificate_versions(NAME)}
    assert current.properties.version in versions and len(versions) >= 2
    assert rig.kv.count("DELETE /certificates/{name}") == 0

    again = json.loads(run_cli("plan", "-c", str(cfg), "--format", "json", env=env).stdout)
    assert again["certificates"][0]["action"] == "skip", again["certificates"][0]


@pytest.mark.parametrize("style", ["v4", "v5"])
def test_without_adopt_a_due_acmebot_certificate_blocks_the_run(
    rig: Rig, env: dict[str, str], entra: EntraTokenService, style: str, tmp_path: Path
) -> None:
    leaf = seed_acmebot_certificate(rig, style)
    before = rig.certificates().get_certificate(NAME)
    cfg = config(tmp_path, rig, entra)
    report = tmp_path / "report.json"

    result = run_cli("renew", "-c", str(cfg), "--report", str(report), env=env)
    assert result.code == 1, result.output
    assert f"blocked {NAME}: renewer did not create it (issued by acmebot" in result.stdout
    assert "`adopt: true`" in result.stdout and f"renewer adopt {NAME}" in result.stdout
    body = json.loads(report.read_text())
    assert body["summary"]["blocked"] == 1 and body["summary"]["skipped"] == 0
    (row,) = body["certificates"]
    assert row["action"] == "blocked" and row["result"] == "blocked"
    # Escalated like a failure, by the one lifetime-relative rule (report/escalation.py): the
    # seeded certificate lives two days, so "two days left" is all of its life, not critical.
    expected = classify_expiry(
        leaf.not_valid_before_utc, leaf.not_valid_after_utc, datetime.now(UTC)
    )
    assert row["severity"] == expected.severity.value, row
    # Nothing changed in the vault.
    after = rig.certificates().get_certificate(NAME)
    assert after.properties is not None and before.properties is not None
    assert after.properties.version == before.properties.version
    assert after.properties.tags == before.properties.tags


def test_renewer_adopt_writes_only_tags_and_the_next_plan_explains_the_renewal(
    rig: Rig, env: dict[str, str], entra: EntraTokenService, tmp_path: Path
) -> None:
    theirs = seed_acmebot_certificate(rig, "v5")
    before = rig.certificates().get_certificate(NAME)
    cfg = config(tmp_path, rig, entra)
    rig.kv.reset_counts()

    result = run_cli("adopt", NAME, "-c", str(cfg), env=env)
    assert result.code == 0, result.output
    assert result.stdout.startswith(f"adopted {NAME}: issued by acmebot (v5 tag"), result.stdout
    writes = [r.route for r in rig.kv.requests if r.method not in ("GET",)]
    assert "PATCH /certificates/{name}" in writes
    assert not [w for w in writes if "create" in w or "merge" in w or w.startswith("DELETE /cert")]

    after = rig.certificates().get_certificate(NAME)
    assert after.properties is not None and before.properties is not None
    assert after.properties.version == before.properties.version  # the same certificate
    assert after.cer == before.cer
    tags = dict(after.properties.tags or {})
    assert tags[MANAGED_BY] == "renewer" and not ACMEBOT_TAGS & set(tags)
    assert tags["renewer-ari-id"] == ari_cert_id(theirs)

    plan = json.loads(run_cli("plan", "-c", str(cfg), "--format", "json", env=env).stdout)
    row = plan["certificates"][0]
    assert row["action"] == "renew" and "domains changed: +api.web.example.test" in row["reason"]
    assert "key type changed: rsa-2048 -> ec-p256" in row["reason"]

    second = run_cli("adopt", NAME, "-c", str(cfg), env=env)
    assert second.code == 0 and "already renewer's" in second.stdout


def test_doctor_warns_while_acmebot_would_still_select_an_adopted_certificate(rig: Rig) -> None:
    from renewer.doctor.foreign import check_foreign
    from renewer.doctor.model import exit_code

    seed_acmebot_certificate(rig, "v4")
    store = rig.store()
    plain = rig.spec(NAME, list(OURS))

    (before,) = check_foreign(rig.kv.url, store, [plain])
    assert before.warning and "issued by acmebot (v4 tags" in before.line
    assert f"renewer adopt {NAME}" in before.fix
    (asked,) = check_foreign(rig.kv.url, store, [replace(plain, adopt=True)])
    assert asked.ok and not asked.warning and "the next run adopts it" in asked.line

    # Adopted, but certificates.yaml keeps acmebot's selector tag on it: acmebot would renew.
    kept = replace(plain, adopt=True, tags={"Issuer": "Acmebot", "owner": "web-team"})
    store.adopt(kept)
    (after,) = check_foreign(rig.kv.url, store, [kept])
    assert after.warning and "still carries acmebot's tag(s) Issuer" in after.line
    assert "! vault" in after.text() and exit_code([after]) == 0  # a warning, not a failure

    store.adopt(plain)  # already renewer's: adopt changes nothing
    tags = rig.certificates().get_certificate(NAME).properties.tags  # type: ignore[union-attr]
    assert tags is not None and tags["Issuer"] == "Acmebot"
