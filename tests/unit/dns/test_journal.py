"""The TXT journal: written before a value is presented, forgotten after cleanup, and the
sweep touches only values of runs that are dead (their lock is free)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from renewer.config.loader import load_config
from renewer.dns.contract import DnsProvider
from renewer.dns.journal import Journal, JournalingProvider, dns_identity
from tests.unit.local_ca import LocalCA


class Recorder(DnsProvider):
    """A DNS provider that records calls; ``journal`` is checked at each present."""

    def __init__(self, journal_folder: Path | None = None, fail: bool = False) -> None:
        self.calls: list[tuple[str, str, str]] = []
        self.entries_at_present: list[int] = []
        self.folder = journal_folder
        self.fail = fail

    def describe(self) -> str:
        return "recorder"

    def present(self, fqdn: str, value: str) -> None:
        if self.folder is not None:
            self.entries_at_present.append(len(list(self.folder.glob("*.json"))))
        self.calls.append(("present", fqdn, value))

    def cleanup(self, fqdn: str, value: str) -> None:
        if self.fail:
            raise OSError("DNS down")
        self.calls.append(("cleanup", fqdn, value))


def entries(folder: Path) -> list[dict[str, str]]:
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]


def test_entry_is_written_before_present_and_removed_after_cleanup(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j")
    inner = Recorder(tmp_path / "j")
    provider = JournalingProvider(inner, journal, "dns-a", "www")
    provider.present("_acme-challenge.example.test.", "v1")
    assert inner.entries_at_present == [1]  # on disk before the provider was called
    (entry,) = entries(tmp_path / "j")
    assert entry["fqdn"] == "_acme-challenge.example.test." and entry["value"] == "v1"
    assert entry["run"] == journal.run and entry["certificate"] == "www"
    assert entry["dns"] == "dns-a"
    provider.cleanup("_acme-challenge.example.test.", "v1")
    assert entries(tmp_path / "j") == []
    journal.close()


def test_failed_cleanup_keeps_the_entry(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j")
    provider = JournalingProvider(Recorder(fail=True), journal, "dns-a", "www")
    provider.present("_acme-challenge.a.test.", "v1")
    with pytest.raises(OSError):
        provider.cleanup("_acme-challenge.a.test.", "v1")
    assert len(entries(tmp_path / "j")) == 1  # the next run sweeps it
    journal.close()


def test_sweep_removes_only_values_of_dead_runs(tmp_path: Path) -> None:
    folder = tmp_path / "j"
    dead = Journal(folder)
    dead.record("dns-a", "_acme-challenge.dead.test.", "d1", "dead")
    dead.record("dns-a", "_acme-challenge.dead.test.", "d2", "dead")
    dead.close()  # lock released, as the kernel does for a killed process
    (folder / f"{dead.run}.lock").touch()  # a killed run leaves its lock file behind
    live = Journal(folder)
    live.record("dns-a", "_acme-challenge.live.test.", "l1", "live")  # holds its flock
    me = Journal(folder)
    mine = Recorder()
    removed, left = me.sweep(lambda dns: mine if dns == "dns-a" else None)
    assert (removed, left) == (2, 0)
    assert sorted(mine.calls) == [
        ("cleanup", "_acme-challenge.dead.test.", "d1"),
        ("cleanup", "_acme-challenge.dead.test.", "d2"),
    ]
    assert [e["value"] for e in entries(folder)] == ["l1"]  # the live run's value stays
    assert not (folder / f"{dead.run}.lock").exists()
    assert (folder / f"{live.run}.lock").exists()
    live.close()
    me.close()


def test_sweep_leaves_entries_it_cannot_clean(tmp_path: Path) -> None:
    folder = tmp_path / "j"
    dead = Journal(folder)
    dead.record("dns-gone", "_acme-challenge.a.test.", "x", "a")
    dead.record("dns-a", "_acme-challenge.b.test.", "y", "b")
    dead.close()
    failing = Recorder(fail=True)
    removed, left = Journal(folder).sweep(lambda dns: failing if dns == "dns-a" else None)
    assert (removed, left) == (0, 2)  # unknown DNS settings, and a cleanup that failed
    assert len(entries(folder)) == 2


def test_own_entries_are_never_swept(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j")
    journal.record("dns-a", "_acme-challenge.a.test.", "x", "a")
    journal.close()  # even with its lock released, a run does not sweep itself
    assert journal.stale_entries() == []
    assert len(Journal(tmp_path / "j").stale_entries()) == 1


# -- the names entries carry must survive upgrades ---------------------------------------
GOOD = Path(__file__).parents[2] / "data" / "good"
ENV = {"EAB_KID": "kid-value", "EAB_HMAC": "hmac-value", "TSIG_SECRET": "dHNpZy12YWx1ZQ=="}
LEGACY_NAMES = {  # dns_identity as computed from the Mapping[str, Any] settings (v0.x)
    "design_example.yaml": ["e91d8f79fbb872f09008b8d0", "64c9e1150478a95e5628d205"],
    "local_default.yaml": ["5eab9d817c50aa6a19cb43bd"],
    "minimal.yaml": ["2495ddde1e9b04ebd29e1ac5"],
    "rfc2136_mixed.yaml": [
        "35f0e8e0321aaf740505afcf",
        "35f0e8e0321aaf740505afcf",
        "3eb5afd733047180abb4aa4b",
    ],
}


@pytest.mark.parametrize("name", sorted(LEGACY_NAMES))
def test_dns_names_in_the_journal_are_those_earlier_versions_wrote(
    name: str, tmp_path: Path
) -> None:
    """A journal left by an older renewer is swept only if its ``dns`` names still match."""
    (tmp_path / ".local" / "tls").mkdir(parents=True)
    (tmp_path / ".local" / "tls" / "root.pem").write_bytes(
        LocalCA().cert.public_bytes(serialization.Encoding.PEM)
    )
    shutil.copy(GOOD / name, tmp_path / name)
    config = load_config(tmp_path / name, ENV)
    assert [dns_identity(spec.dns) for spec in config.certificates] == LEGACY_NAMES[name]


def test_a_legacy_entry_is_swept_with_the_provider_of_the_same_settings(tmp_path: Path) -> None:
    (tmp_path / ".local" / "tls").mkdir(parents=True)
    (tmp_path / ".local" / "tls" / "root.pem").write_bytes(
        LocalCA().cert.public_bytes(serialization.Encoding.PEM)
    )
    shutil.copy(GOOD / "rfc2136_mixed.yaml", tmp_path / "c.yaml")
    shop = load_config(tmp_path / "c.yaml", ENV).certificates[0]
    folder = tmp_path / "j"
    dead = Journal(folder)
    dead.record("35f0e8e0321aaf740505afcf", "_acme-challenge.shop.test.", "v", "Shop")
    dead.close()
    mine = Recorder()
    configured = {dns_identity(shop.dns): mine}
    assert Journal(folder).sweep(configured.get) == (1, 0)
    assert mine.calls == [("cleanup", "_acme-challenge.shop.test.", "v")]
