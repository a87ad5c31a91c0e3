"""A journal of the TXT values this renewer put in DNS, so a crash leaves none behind.

An entry is written (and fsynced) *before* a value is presented and removed
*after* it was cleaned up. A run killed in between (kill -9, a cancelled
runner) leaves the entry; the next run sweeps it: it removes exactly the
journalled value with the same provider settings, and nothing else.

Entries belong to a run, and a run holds an exclusive file lock (``flock``;
``msvcrt.locking`` on Windows: renewer.core.locking) on its own lock file for
as long as it lives. The sweep only touches entries whose run
lock it can take, so two runs at once never remove each other's live values;
the kernel drops the lock of a killed process, so its entries become sweepable.

Layout (``<dir>/``)::

    run-<pid>-<random>.lock     held by a live run
    <sha256>.json               {"run", "dns", "fqdn", "value", "certificate", "written_at"}
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import IO, Any

from renewer.config.types.base import fields_of
from renewer.config.types.registry import DNS_TYPES
from renewer.core import locking
from renewer.core.settings import AzureSettings, DnsSettings, PluginSettings
from renewer.dns.contract import DnsProvider

STALE_TEMPORARY = 3600.0  # seconds: an unnamed half-written entry older than this is swept

log = logging.getLogger(__name__)


def dns_identity(settings: DnsSettings) -> str:
    """The name a DNS setting has in journal entries (their ``dns``), stable across versions.

    A later run finds the provider for a dead run's entry by this name, so it
    must not change when the code does: it is still computed as when settings
    were a mapping of the type's keys (nested tables as read-only mappings),
    ``f"{type}:{sorted(items)!r}"``, hashed. Sharing one provider per setting
    does not use it (settings are hashable); tests pin it for the sample configs.
    """
    provider = settings.provider
    if isinstance(provider, PluginSettings):
        options: dict[str, Any] = dict(provider.options)
    else:
        settings_type = DNS_TYPES[settings.type]
        options = {}
        for item in dataclasses.fields(provider):
            if item.metadata.get("dns_identity") is False:  # added later; names no record
                continue
            value = getattr(provider, item.name)
            known = settings_type.fields.get(item.name)
            if known is not None and known.shape == "section" and value is not None:
                table = fields_of(settings_type.sections[known.section])
                value = MappingProxyType({name: getattr(value, name) for name in table})
            options[item.name] = _as_written(value)
    key = f"{settings.type}:{sorted(options.items())!r}"
    return hashlib.sha256(key.encode()).hexdigest()[:24]


class _Written:
    """A value that repr()s as given: the form an earlier version wrote into the name."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _as_written(value: Any) -> Any:
    """``AzureSettings`` gained ``token_audience`` late: unset, it is left out (so entries
    written by older runs still match)."""
    if isinstance(value, AzureSettings) and value.token_audience is None:
        return _Written(
            f"AzureSettings(cloud={value.cloud!r}, authority_host={value.authority_host!r}, "
            f"arm_endpoint={value.arm_endpoint!r}, ca_bundle={value.ca_bundle!r})"
        )
    return value


@dataclass(frozen=True)
class Entry:
    path: Path
    run: str
    dns: str
    fqdn: str
    value: str
    certificate: str


def _fsync_dir(path: Path) -> None:
    if os.name == "nt":
        return  # a folder cannot be opened there; NTFS journals its own entries
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Journal:
    """The presented-values journal of one run in one folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.run = f"run-{os.getpid()}-{secrets.token_hex(4)}"
        self._handle: IO[str] | None = None
        self._lock = threading.Lock()

    # -- this run ----------------------------------------------------------------
    def open(self) -> None:
        with self._lock:
            if self._handle is not None:
                return
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.chmod(self.folder, 0o700)  # whatever the umask: the entries name DNS values
            fd = os.open(self.folder / f"{self.run}.lock", os.O_RDWR | os.O_CREAT, 0o600)
            handle = os.fdopen(fd, "a+")
            locking.lock(handle.fileno())
            self._handle = handle

    def close(self) -> None:
        with self._lock:
            if self._handle is None:
                return
            path = self.folder / f"{self.run}.lock"
            try:
                path.unlink()  # while still held: no other run sees it unlocked first
            except PermissionError:  # Windows removes no open file: after closing it
                self._handle.close()
                path.unlink(missing_ok=True)
            except FileNotFoundError:
                pass
            self._handle.close()
            self._handle = None

    def _entry_path(self, dns: str, fqdn: str, value: str) -> Path:
        digest = hashlib.sha256(f"{self.run}|{dns}|{fqdn}|{value}".encode()).hexdigest()[:32]
        return self.folder / f"{digest}.json"

    def record(self, dns: str, fqdn: str, value: str, certificate: str) -> None:
        """Durably note a value before it is presented."""
        self.open()
        body = {
            "run": self.run,
            "dns": dns,
            "fqdn": fqdn,
            "value": value,
            "certificate": certificate,
            "written_at": datetime.now(UTC).isoformat(),
        }
        path = self._entry_path(dns, fqdn, value)
        tmp = path.with_name(f".{self.run}.{path.name}.tmp")  # swept once this run is dead
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(body, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        _fsync_dir(self.folder)

    def forget(self, dns: str, fqdn: str, value: str) -> None:
        """The value was cleaned up: drop its entry."""
        with contextlib.suppress(FileNotFoundError):
            self._entry_path(dns, fqdn, value).unlink()

    # -- other (dead) runs -------------------------------------------------------
    def stale_entries(self) -> list[Entry]:
        """Entries of runs that no longer hold their lock (crashed or killed)."""
        if not self.folder.is_dir():
            return []
        dead: dict[str, bool] = {}
        found: list[Entry] = []
        for path in sorted(self.folder.glob("*.json")):
            try:
                body: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
                run = str(body["run"])
            except (OSError, ValueError, KeyError):
                continue
            if run == self.run:
                continue
            if run not in dead:
                dead[run] = self._run_is_dead(run)
            if dead[run]:
                found.append(
                    Entry(
                        path,
                        run,
                        str(body["dns"]),
                        str(body["fqdn"]),
                        str(body["value"]),
                        str(body.get("certificate", "")),
                    )
                )
        return found

    def _run_is_dead(self, run: str) -> bool:
        lock = self.folder / f"{run}.lock"
        try:
            handle = open(lock, "a+")  # noqa: SIM115
        except OSError:
            return True
        with handle:
            if not locking.try_lock(handle.fileno()):
                return False
            locking.unlock(handle.fileno())
        return True

    def sweep_temporary(self, now: float | None = None) -> int:
        """Remove entry files a killed run left half-written (often zero bytes).

        Such a value was never presented (the entry is written first), so the
        file is only clutter. Named after their run, they go once that run is
        dead; unnamed ones (older versions) once an hour old.
        """
        if not self.folder.is_dir():
            return 0
        moment = time.time() if now is None else now
        removed = 0
        for tmp in self.folder.glob(".*.tmp"):
            run = tmp.name[1:].split(".", 1)[0]
            if run.startswith("run-"):
                lock = self.folder / f"{run}.lock"
                gone = run != self.run and (not lock.exists() or self._run_is_dead(run))
            else:
                try:
                    gone = moment - tmp.stat().st_mtime > STALE_TEMPORARY
                except OSError:
                    continue
            if gone:
                with contextlib.suppress(FileNotFoundError):
                    tmp.unlink()
                    removed += 1
        return removed

    def sweep(self, providers: Callable[[str], DnsProvider | None]) -> tuple[int, int]:
        """Remove the values dead runs left; returns (removed, left for later)."""
        self.sweep_temporary()
        removed = left = 0
        runs: set[str] = set()
        for entry in self.stale_entries():
            provider = providers(entry.dns)
            if provider is None:
                log.warning(
                    "stale TXT value at %s (%s) uses DNS settings no longer in the "
                    "configuration; left in the journal",
                    entry.fqdn,
                    entry.certificate,
                )
                left += 1
                continue
            try:
                provider.cleanup(entry.fqdn, entry.value)
            except Exception as exc:
                log.warning("could not remove stale TXT at %s: %s", entry.fqdn, exc)
                left += 1
                continue
            log.info("removed stale TXT value at %s left by %s", entry.fqdn, entry.run)
            with contextlib.suppress(FileNotFoundError):
                entry.path.unlink()
            runs.add(entry.run)
            removed += 1
        for run in runs:
            if not any(e.run == run for e in self.stale_entries()):
                with contextlib.suppress(FileNotFoundError):
                    (self.folder / f"{run}.lock").unlink()
        return removed, left


class JournalingProvider(DnsProvider):
    """A provider whose every present/cleanup goes through the journal."""

    def __init__(self, inner: DnsProvider, journal: Journal, dns: str, certificate: str) -> None:
        self.inner = inner
        self.journal = journal
        self.dns = dns
        self.certificate = certificate

    def describe(self) -> str:
        return self.inner.describe()

    def present(self, fqdn: str, value: str) -> None:
        self.journal.record(self.dns, fqdn, value, self.certificate)
        self.inner.present(fqdn, value)

    def cleanup(self, fqdn: str, value: str) -> None:
        self.inner.cleanup(fqdn, value)
        self.journal.forget(self.dns, fqdn, value)
