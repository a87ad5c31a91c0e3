"""Scenario: kill -9 the renewer at seeded random points while it renews into Key Vault.

The real CLI (``python -m renewer renew --force``) runs as a subprocess against the Key
Vault stand-in (real Azure SDK in the renewer), signing in through the GitHub OIDC and
Entra stand-ins; challtestsrv serves DNS-01 to Pebble. It is SIGKILLed at random times
after start, and right after the vault saw a create (pending operation) or a merge.

After every kill: every version the vault holds is whole (a leaf, a key behind the
linked secret that matches it, renewer's tags). The lease a killed run held is no
longer extended by its heartbeat and lapses within ``vault_lease.LEASE`` (two
minutes): the second test shows that; the first one ages each lease past its expiry in
the stand-in between trials (the vault's clock moved on), then the clean run must
complete every certificate with one new version each, reusing or deleting every
leftover pending operation.
"""

from __future__ import annotations

import base64
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from rig import Challtestsrv, EntraTokenService, GithubOidcIssuer, TlsMaterial
from rig.keyvault import KeyVaultStandIn

from renewer.stores.keyvault import lease as vault_lease
from tests.integration.runner import REPO, CliResult, write_config
from tests.resilience.common import certs, challtestsrv_dns, txt_values

pytestmark = [pytest.mark.resilience, pytest.mark.integration]

TRIALS = 21  # 7 right after a merge, 7 at random times, 7 right after a create (last)
SEED = 20240612
COUNT = 3
NAMES = [f"k{i}" for i in range(COUNT)]
CREATE = "POST /certificates/{name}/create"
MERGE = "POST /certificates/{name}/pending/merge"
DELETE_PENDING = "DELETE /certificates/{name}/pending"
LOCK_PREFIX = "renewer-lock-"
BUSY = "being renewed by another run"


@pytest.fixture(autouse=True, params=[False, True], ids=["previous", "placeholder"])
def placeholder_mode(request: pytest.FixtureRequest, keyvault: KeyVaultStandIn) -> bool:
    """Both ways real Key Vault may list a renewal in flight: the previous version stays
    current, or the create-time placeholder (disabled, no x5t, no renewer tags) is the
    listed current item (tests/rig/keyvault_lifecycle.py)."""
    keyvault.vault.placeholder_current = bool(request.param)
    return keyvault.vault.placeholder_current


@pytest.fixture
def signed_in(entra: EntraTokenService, keyvault: KeyVaultStandIn) -> EntraTokenService:
    """Entra hands out tokens the vault stand-in accepts (as ``wired`` in test_azure_e2e)."""
    entra.token_factory = lambda _scope: keyvault.mint_token().token
    keyvault.tenant_id = entra.tenant_id
    return entra


def sign_in_env(github_oidc: GithubOidcIssuer, entra: EntraTokenService) -> dict[str, str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "ACTIONS_ID_TOKEN_REQUEST_URL": github_oidc.request_url,
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": github_oidc.request_token,
        "AZURE_TENANT_ID": entra.tenant_id,
        "AZURE_CLIENT_ID": entra.client_id,
        "REQUESTS_CA_BUNDLE": str(github_oidc.ca_bundle),
    }
    env.pop("GITHUB_ACTIONS", None)
    return env


def make_config(
    tmp_path: Path,
    pebble: Any,
    dns: Challtestsrv,
    entra: EntraTokenService,
    keyvault: KeyVaultStandIn,
    tls_root: TlsMaterial,
) -> Path:
    return write_config(
        tmp_path / "certificates.yaml",
        {
            "acme": {"directory": pebble.directory_url, "ca_bundle": str(pebble.ca_bundle)},
            "azure": {"authority_host": entra.authority_host, "ca_bundle": str(tls_root.root)},
            "store": {"type": "keyvault", "vault_url": keyvault.url},
            "dns": challtestsrv_dns(dns),
            "certificates": certs(COUNT, prefix="k"),
        },
    )


def start_renew(cfg: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "renewer", "renew", "-c", str(cfg), "--force"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def run_renew(cfg: Path, env: dict[str, str], *extra: str) -> CliResult:
    proc = subprocess.run(
        [sys.executable, "-m", "renewer", *extra, "renew", "-c", str(cfg), "--force"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


# -- what the vault holds (read from the stand-in's model, under its lock) -----------------
def versions(kv: KeyVaultStandIn) -> dict[str, list[str]]:
    with kv.vault.lock:
        return {
            n: [v.version for v in obj.versions] if (obj := kv.vault.certificates.get(n)) else []
            for n in NAMES
        }


def pending(kv: KeyVaultStandIn) -> dict[str, str]:
    """Certificates with an open (inProgress) operation -> that operation's version."""
    with kv.vault.lock:
        return {
            n: obj.pending.version
            for n in NAMES
            if (obj := kv.vault.certificates.get(n)) is not None
            and obj.pending is not None
            and obj.pending.status == "inProgress"
        }


def live_leases(kv: KeyVaultStandIn) -> list[str]:
    now = time.time()
    with kv.vault.lock:
        return [
            s.name
            for key, s in kv.vault.secrets.items()
            if key.startswith(LOCK_PREFIX) and s.versions and (s.versions[-1].exp or 0) > now
        ]


def age_leases_past_expiry(kv: KeyVaultStandIn) -> int:
    """The vault's clock moves past every lease's ``expires_on`` (LEASE, in a test)."""
    past = int(time.time()) - 1
    aged = 0
    with kv.vault.lock:
        for key, secret in kv.vault.secrets.items():
            latest = secret.versions[-1] if secret.versions else None
            if key.startswith(LOCK_PREFIX) and latest and (latest.exp or 0) > past:
                latest.exp = past
                aged += 1
    return aged


def assert_whole(kv: KeyVaultStandIn) -> None:
    """Every version the vault holds (so every current one) is a whole, tagged certificate."""
    with kv.vault.lock:
        for name in NAMES:
            obj = kv.vault.certificates.get(name)
            for version in obj.versions if obj else []:
                assert version.cer, f"{name}/{version.version} has no cer"
                assert version.enabled, f"{name}/{version.version} is disabled"
                assert (version.tags or {}).get("managed-by") == "renewer", (name, version.tags)
                bundle = pkcs12.load_pkcs12(base64.b64decode(version.secret_value()), None)
                assert bundle.key is not None and bundle.cert is not None
                assert bundle.cert.certificate == version.leaf
                spki = serialization.PublicFormat.SubjectPublicKeyInfo
                der = serialization.Encoding.DER
                assert bundle.key.public_key().public_bytes(der, spki) == (
                    version.leaf.public_key().public_bytes(der, spki)
                )


def wait_for(kv: KeyVaultStandIn, route: str, seen: int, proc: subprocess.Popen[bytes]) -> bool:
    """Until the vault counted one more ``route`` than ``seen``; False if the run ended first."""
    deadline = time.monotonic() + 20
    while kv.count(route) <= seen:
        if proc.poll() is not None:
            return False
        assert time.monotonic() < deadline, f"no {route} within 20 s"
        time.sleep(0.002)
    return True


def test_kill_nine_against_key_vault_then_the_next_run_completes(
    tmp_path: Path,
    challtestsrv: Challtestsrv,
    pebble_factory: Any,
    github_oidc: GithubOidcIssuer,
    signed_in: EntraTokenService,
    keyvault: KeyVaultStandIn,
    tls_root: TlsMaterial,
) -> None:
    kv = keyvault
    pebble = pebble_factory(dns_server=challtestsrv.dns_address)
    cfg = make_config(tmp_path, pebble, challtestsrv, signed_in, kv, tls_root)
    env = sign_in_env(github_oidc, signed_in)
    rng = random.Random(SEED)
    figures = {"create": 0, "merge": 0, "timed": 0, "ended_first": 0}
    left_pending = left_lease = left_journal = 0
    journal = tmp_path / ".renewer" / "journal"  # next to the config (not a directory store)
    to_merge = 2.3  # start-up to the first merge; measured by each merge trial
    for trial in range(TRIALS):
        kind = ("merge", "timed", "create")[trial % 3]
        seen = kv.count(CREATE if kind == "create" else MERGE)
        started = time.monotonic()
        proc = start_renew(cfg, env)
        if kind == "timed":
            # Anywhere from start-up to the first merge of the run (runs got faster).
            time.sleep(rng.uniform(0.3, max(0.4, to_merge)))
        elif wait_for(kv, CREATE if kind == "create" else MERGE, seen, proc):
            if kind == "merge":
                to_merge = time.monotonic() - started
            time.sleep(rng.uniform(0.0, 0.03))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            figures[kind] += 1
        else:
            figures["ended_first"] += 1
        proc.wait(timeout=30)
        assert_whole(kv)  # never a half-made version visible as current
        left_pending += bool(pending(kv))
        left_journal += bool(list(journal.glob("*.json")))
        # A killed run's lease lives up to LEASE (see the second test); age it past expiry
        # so that the next trial meets the certificates again.
        left_lease += age_leases_past_expiry(kv) > 0

    before = versions(kv)
    open_ops = pending(kv)
    kv.reset_counts()
    final = run_renew(cfg, env, "-v")
    assert final.code == 0, final.output[-4000:]
    assert f"{COUNT} succeeded, 0 failed" in final.stdout
    assert BUSY not in final.output  # no lease of a killed run blocked it
    after = versions(kv)
    reused_ops: list[str] = []
    for name in NAMES:
        added = after[name][len(before[name]) :]
        assert after[name][: len(before[name])] == before[name]
        assert len(added) == 1, (name, before[name], after[name])  # one new version each
        if name in open_ops:  # the killed run's operation was reused, or deleted first
            reused = added[0] == open_ops[name]
            reused_ops += [name] if reused else []
            assert reused or kv.count(DELETE_PENDING, name) == 1, name
            assert reused == (f"{name}: reusing the key and CSR" in final.stderr)
        assert txt_values(challtestsrv, f"_acme-challenge.{name}.example.test") == []
    assert pending(kv) == {}  # nothing left pending
    assert live_leases(kv) == []  # every lease of the clean run released
    assert_whole(kv)
    assert list(journal.glob("*.json")) == []  # the killed runs' TXT values were swept
    print(
        f"trials={TRIALS} kills={figures} pending_left={left_pending} "
        f"live_lease_left={left_lease} journal_left={left_journal} "
        f"open_ops_before_final={sorted(open_ops)} reused={reused_ops} "
        f"versions_before_final={ {n: len(v) for n, v in before.items()} }"
    )
    assert figures["create"] + figures["merge"] + figures["timed"] >= 20
    assert left_pending >= 1  # some kills really landed between create and merge
    assert left_journal >= 1  # and some with TXT values journalled, for the sweep


def test_a_killed_runs_lease_lapses_within_the_lease_period(
    tmp_path: Path,
    challtestsrv: Challtestsrv,
    pebble_factory: Any,
    github_oidc: GithubOidcIssuer,
    signed_in: EntraTokenService,
    keyvault: KeyVaultStandIn,
    tls_root: TlsMaterial,
) -> None:
    """After kill -9, a run started at once skips the certificates whose lease the killed
    run held, naming the dead holder and a lease end at most LEASE (two minutes) after
    the kill (no heartbeat extends it any more); once it lapses, a run renews them.
    (First measured with a fixed 15-minute lease, which locked re-runs out for 15 minutes
    while looking green; the heartbeat made the lease short.)"""
    kv = keyvault
    pebble = pebble_factory(dns_server=challtestsrv.dns_address)
    cfg = make_config(tmp_path, pebble, challtestsrv, signed_in, kv, tls_root)
    env = sign_in_env(github_oidc, signed_in)
    proc = start_renew(cfg, env)
    assert wait_for(kv, CREATE, 0, proc)
    killed_at = time.time()
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    held = live_leases(kv)
    assert held, "the killed run held no lease"

    blocked = run_renew(cfg, env)
    assert blocked.code == 0, blocked.output  # skipped, not failed: the run looks green
    skipped = [line for line in blocked.stdout.splitlines() if BUSY in line]
    assert len(skipped) == len(held), blocked.stdout
    assert f"pid {proc.pid}" in skipped[0]  # the owner named is the dead process
    until = re.search(r"lease until (\d\d):(\d\d):(\d\d) UTC", skipped[0])
    assert until is not None, skipped[0]
    left = (int(until[1]) * 3600 + int(until[2]) * 60 + int(until[3])) - killed_at % 86400
    lease = vault_lease.LEASE.total_seconds()
    assert lease - 30 <= left % 86400 <= lease + 5  # one lease period after the kill, no more
    assert f"{COUNT - len(held)} succeeded, 0 failed" in blocked.stdout

    age_leases_past_expiry(kv)  # LEASE later
    after = run_renew(cfg, env)
    assert after.code == 0, after.output
    assert f"{COUNT} succeeded, 0 failed" in after.stdout
    assert BUSY not in after.output
    assert pending(kv) == {}
