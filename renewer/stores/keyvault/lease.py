"""A lease on one certificate, visible to every run, kept as a secret in the same vault.

Why a secret: runs on different GitHub runners share nothing but the vault,
and the certificate object itself cannot carry a lock while a pending
operation is open. Key Vault has no conditional write (no If-Match) for
secrets, so the lease is taken in three steps:

1. read the latest version of ``renewer-lock-<name>``; a live lease
   (``expires_on`` in the future) of another run -> LockBusy;
2. write our claim: tags naming a random owner id, with
   ``expires_on = now + LEASE`` (two minutes), onto that same version
   (``PATCH``; a new version only when there is none yet or it is not
   renewer's lease format);
3. wait ``SETTLE`` seconds and read the latest version again; if it is no
   longer ours, a run that wrote after us holds it -> LockBusy.

Two runs cannot both hold it as long as each run's step 1 -> 2 takes less than
``SETTLE``; the later writer always wins and the earlier one sees that in step
3. While the run holds it, a heartbeat moves ``expires_on`` forward every
``HEARTBEAT`` seconds, so a long issuance (a slow DNS propagation) keeps its
lease, and a killed or cancelled run's lease lapses within ``LEASE``: a
re-run a few minutes later is not locked out. Release sets our version's
``expires_on`` into the past instead of deleting the secret: with soft delete
(mandatory on Key Vault) a deleted name cannot be written again until it is
purged.

History stays flat: every lease reuses one version (the claim lives in its
tags and ``expires_on``, both last-writer-wins like a new version), so a
lock secret keeps one version however many runs take it. A version per run
would pile up forever, and Key Vault backs up at most 500 versions of one
object (Microsoft Learn, "Azure Key Vault backup": "Key Vault does not
support the ability to back up more than 500 past versions of an object").

"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import secrets
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from azure.core.exceptions import ResourceNotFoundError
from azure.keyvault.secrets import SecretClient

from renewer.config.domains import LOCK_PREFIX
from renewer.core import timefmt
from renewer.stores.contract import LockBusy
from renewer.stores.keyvault.errors import vault_errors
from renewer.stores.keyvault.recovery import write_secret

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
HEARTBEAT = 30.0  # seconds; several heartbeats fit in one LEASE
SETTLE = 1.0
PREFIX = LOCK_PREFIX  # certificate names may not take it (config.domains)
MAX_NAME = 127
CONTENT_TYPE = "application/json"
MARKER = '{"lease": "renewer", "claim": "in the tags"}'
TAG_OWNER = "renewer-lease-owner"
TAG_WHO = "renewer-lease-who"
TAG_CERTIFICATE = "renewer-lease-certificate"
MAX_TAG = 256


def lock_secret_name(name: str) -> str:
    """``renewer-lock-<name>``, hashed when that would exceed Key Vault's 127 characters."""
    candidate = PREFIX + name
    if len(candidate) <= MAX_NAME:
        return candidate
    return PREFIX + hashlib.sha256(name.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Holder:
    """Who holds a lease, read from the lock secret's latest version."""

    owner: str
    who: str
    expires: datetime | None
    version: str | None
    reusable: bool = False  # renewer's lease format: claim it by PATCHing this version

    def live(self, now: datetime) -> bool:
        return self.expires is not None and self.expires > now


def _who() -> str:
    run = os.environ.get("GITHUB_RUN_ID")
    if run:
        return f"{os.environ.get('GITHUB_WORKFLOW', 'workflow')} run {run}"
    return f"host {socket.gethostname()} pid {os.getpid()}"


class SecretLease:
    """Leases on certificates of one vault (see the module docstring for the protocol)."""

    def __init__(
        self,
        client: SecretClient,
        vault_url: str,
        settle: float | None,
        on_soft_deleted: str,
    ) -> None:
        self.client = client
        self.vault_url = vault_url
        self.settle = settle
        self.on_soft_deleted = on_soft_deleted

    def _read(self, secret_name: str, subject: str) -> Holder | None:
        with vault_errors(self.vault_url, subject):
            try:
                secret = self.client.get_secret(secret_name)
            except ResourceNotFoundError:
                return None
        props = secret.properties
        tags = dict(props.tags or {})
        if secret.value == MARKER:
            owner, who = tags.get(TAG_OWNER, ""), tags.get(TAG_WHO, "another run")
            return Holder(owner, who, props.expires_on, props.version, reusable=True)
        try:  # a lease written by an older renewer: the claim is in the value
            body = json.loads(secret.value or "{}")
            owner, who = str(body["owner"]), str(body.get("who", "another run"))
        except (ValueError, KeyError, TypeError):
            owner, who = "", "an unreadable lease"
        return Holder(owner, who, props.expires_on, props.version)

    @contextlib.contextmanager
    def hold(self, name: str) -> Iterator[None]:
        secret_name = lock_secret_name(name)
        subject = f"lock {secret_name} of certificate {name}"
        now = datetime.now(UTC)
        current = self._read(secret_name, subject)
        if current is not None and current.live(now):
            raise LockBusy(_busy(name, current))
        owner = secrets.token_hex(16)
        tags = {
            "managed-by": "renewer",
            TAG_OWNER: owner,
            TAG_WHO: _who()[:MAX_TAG],
            TAG_CERTIFICATE: name[:MAX_TAG],
        }
        with vault_errors(self.vault_url, subject):
            if current is not None and current.reusable and current.version:
                version: str | None = current.version
                self.client.update_secret_properties(
                    secret_name, version, expires_on=now + LEASE, tags=tags
                )
            else:
                written = write_secret(
                    self.client,
                    self.vault_url,
                    secret_name,
                    self.on_soft_deleted,
                    lambda: self.client.set_secret(
                        secret_name,
                        MARKER,
                        content_type=CONTENT_TYPE,
                        expires_on=now + LEASE,
                        tags=tags,
                    ),
                )
                version = written.properties.version
        stop = threading.Event()
        stop.wait(SETTLE if self.settle is None else self.settle)
        latest = self._read(secret_name, subject)
        if latest is None or latest.owner != owner:
            raise LockBusy(_busy(name, latest))
        beat = threading.Thread(
            target=self._heartbeat,
            args=(secret_name, version, name, owner, stop),
            name=f"lease-{name}",
            daemon=True,
        )
        beat.start()
        try:
            yield
        finally:
            stop.set()
            beat.join(timeout=HEARTBEAT)
            self._release(secret_name, version, name, owner)

    def _still_ours(self, secret_name: str, name: str, owner: str) -> bool:
        """The shared version must not be extended or released for a run that took over."""
        try:
            latest = self._read(secret_name, f"lock {secret_name} of certificate {name}")
        except Exception as exc:  # unknown: act as before (our own version, our claim)
            log.debug("%s: could not re-read the lease (%s)", name, exc)
            return True
        return latest is not None and latest.owner == owner

    def _heartbeat(
        self, secret_name: str, version: str | None, name: str, owner: str, stop: threading.Event
    ) -> None:
        """Keep our lease alive until ``stop``; a missed beat only shortens the lease."""
        while not stop.wait(HEARTBEAT):
            if not self._still_ours(secret_name, name, owner):
                log.warning("%s: the lease lapsed and another run took it over", name)
                return
            try:
                self.client.update_secret_properties(
                    secret_name, version, expires_on=datetime.now(UTC) + LEASE
                )
            except Exception as exc:  # the run goes on; the lease may lapse early
                log.warning("%s: could not extend the lease (%s)", name, exc.__class__.__name__)

    def _release(self, secret_name: str, version: str | None, name: str, owner: str) -> None:
        past = datetime.now(UTC) - timedelta(seconds=1)
        if not self._still_ours(secret_name, name, owner):
            return  # it lapsed and another run holds it now: not ours to end
        try:
            with vault_errors(self.vault_url, f"lock {secret_name} of certificate {name}"):
                self.client.update_secret_properties(secret_name, version, expires_on=past)
        except Exception as exc:  # the lease expires by itself; never hide the run's outcome
            log.warning("%s: could not release the lease (%s); it expires in %s", name, exc, LEASE)


def _busy(name: str, holder: Holder | None) -> str:
    if holder is None or holder.expires is None:
        return f"{name} is being renewed by another run"
    until = timefmt.clock(holder.expires)
    return f"{name} is being renewed by another run ({holder.who}, lease until {until})"
