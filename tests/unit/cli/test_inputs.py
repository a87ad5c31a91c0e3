"""Bounded, regular inputs: every odd file, value or flag is a clear error, fast.

Config and CA bundle files must be regular files under 16 MiB; CA bundles
must hold a PEM certificate; base64 secrets are checked at validate time and
where they are used, naming the setting and the variable, never the value;
numeric flags take plain ASCII decimals only; error lines keep our own reason
whole and name the file an OSError was about.
"""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives import serialization

from renewer.cli import main
from renewer.cli.common import state_dir
from renewer.config.loader import load_config
from renewer.config.types.dns_rfc2136 import Rfc2136Settings, TsigSettings
from renewer.config.types.store_directory import DirectorySettings
from renewer.core.errors import RenewerError, describe_error
from renewer.core.secrets import SecretInvalid, decode_base64
from renewer.core.settings import SecretRef
from renewer.dns.journal import Journal
from renewer.dns.providers.rfc2136 import Rfc2136Provider
from tests.unit.local_ca import LocalCA

MINIMAL = """\
acme: {directory: "https://127.0.0.1:14000/dir"%s}
store: {type: directory, path: certs}
dns: {type: challtestsrv, url: "http://127.0.0.1:8055"}
certificates:
  - {name: demo, domains: [example.com]}
"""


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=True)


def no_traceback(result: Result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "fifo.yaml"
    os.mkfifo(path)
    yield path


def test_config_files_must_be_regular_and_bounded(tmp_path: Path, fifo: Path) -> None:
    big = tmp_path / "big.yaml"
    with open(big, "wb") as handle:  # sparse: 17 MiB without writing them
        handle.truncate(17 * 1024 * 1024)
    cases = {
        "/dev/zero": "is not a regular file",
        str(fifo): "is not a regular file",
        str(tmp_path): "is a directory",
        str(big): "is larger than 16 MiB",
        str(tmp_path / "missing.yaml"): "file not found",
    }
    for path, words in cases.items():
        started = time.monotonic()
        result = invoke("validate", "-c", path)
        assert time.monotonic() - started < 5, path  # no read to the end of /dev/zero
        no_traceback(result)
        assert result.exit_code == 2, (path, result.output)
        assert f"{path}:1:1: {words}" in result.output, result.output


def bundle_config(tmp_path: Path, bundle: str) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(MINIMAL % f', ca_bundle: "{bundle}"')
    return path


def test_ca_bundles_must_hold_pem_certificates(tmp_path: Path, fifo: Path) -> None:
    good = tmp_path / "root.pem"
    good.write_bytes(LocalCA().cert.public_bytes(serialization.Encoding.PEM))
    key_only = tmp_path / "key.pem"
    key_only.write_bytes(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    cases = {
        "/tmp": "is a directory",
        "/etc/passwd": "holds no PEM certificate",
        str(key_only): "holds no PEM certificate",
        "/dev/zero": "is not a regular file",
        str(fifo): "is not a regular file",
        "/nonexistent/root.pem": "does not exist",
    }
    for bundle, words in cases.items():
        result = invoke("validate", "-c", str(bundle_config(tmp_path, bundle)))
        no_traceback(result)
        assert result.exit_code == 2 and "acme.ca_bundle: file" in result.output, result.output
        assert words in result.output, (bundle, result.output)
    (spec,) = load_config(bundle_config(tmp_path, str(good)), {}).certificates
    assert spec.acme.ca_bundle == good


TSIG = """\
acme: {directory: "https://127.0.0.1:14000/dir"%s}
store: {type: directory, path: certs}
dns:
  type: rfc2136
  nameserver: 127.0.0.1:53
  tsig: {name: key., secret: env:TSIG}
certificates:
  - {name: demo, domains: [example.com]}
"""


@pytest.mark.parametrize(
    ("tsig", "hmac", "words"),
    [
        ("not base64!", "aGVsbG8", "dns.tsig.secret: the value of env:TSIG is not base64"),
        ("abc", "aGVsbG8", "dns.tsig.secret: the value of env:TSIG is not base64 (wrong length"),
        ("  ", "aGVsbG8", "dns.tsig.secret: the value of env:TSIG is empty"),
        ("aGVsbG8=", "a+b/", "acme.eab.hmac_key: the value of env:HMAC is not base64url"),
        ("aGVsbG8=", "", "acme.eab.hmac_key: the value of env:HMAC is empty"),
    ],
)
def test_base64_secrets_are_checked_at_validate(
    tmp_path: Path, tsig: str, hmac: str, words: str
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(TSIG % ", eab: {kid: env:KID, hmac_key: env:HMAC}")
    result = invoke("validate", "-c", str(path), env={"TSIG": tsig, "HMAC": hmac, "KID": "k"})
    no_traceback(result)
    assert result.exit_code == 2 and words in result.output, result.output
    assert "Incorrect padding" not in result.output
    for secret in (tsig, hmac):
        if secret.strip():
            assert secret not in result.output


def test_base64_secrets_are_checked_again_where_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TSIG", "tsig-value")
    provider = Rfc2136Provider(
        Rfc2136Settings("127.0.0.1:53", TsigSettings("key.", SecretRef("TSIG")))
    )
    with pytest.raises(SecretInvalid) as found:
        provider._update(__import__("dns.name").name.from_text("example.com."))
    assert str(found.value) == (
        "dns.tsig.secret (the value of env:TSIG) is not base64 (unexpected characters)"
    )
    assert decode_base64("aGVs bG8=", "x") == b"hello"  # whitespace between groups is fine
    assert decode_base64("aGVsbG8", "x", urlsafe=True) == b"hello"


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--cert-deadline", "nan"),
        ("--cert-deadline", "inf"),
        ("--cert-deadline", "-inf"),
        ("--cert-deadline", "1e400"),
        ("--cert-deadline", "1_000"),
        ("--cert-deadline", "\uff15"),  # fullwidth 5
        ("--cert-deadline", "0.5"),
        ("--concurrency", "\u0661"),  # Arabic-Indic 1
        ("--concurrency", "0"),
        ("--max-new-orders", "-1"),
        ("--max-new-orders", "\u0967"),  # Devanagari 1
        ("--shard", "\u0661/\u0662"),
        ("--shard", "\uff11/\uff12"),
    ],
)
def test_numeric_flags_take_plain_ascii_decimals(tmp_path: Path, option: str, value: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(MINIMAL % "")
    result = invoke("renew", "-c", str(path), option, value)
    no_traceback(result)
    assert result.exit_code == 2, result.output
    assert not (tmp_path / "certs").exists()  # stopped before any store was touched


def test_error_lines_keep_our_reason_and_name_the_file() -> None:
    detail = "rejectedIdentifier: " + "x" * 900 + " THE REASON"
    assert describe_error(RenewerError(detail)) == detail
    library = ValueError("HTTPSConnectionPool(host='ca', port=443): " + "y" * 600 + " refused")
    line = describe_error(library)
    assert len(line) <= 300 + 3 + 120 and line.endswith(" refused")
    assert line.startswith("ValueError: HTTPS") and line[:300] == f"ValueError: {library}"[:300]
    full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    assert describe_error(full) == "OSError: No space left on device (a file it did not name)"
    nodir = NotADirectoryError(errno.ENOTDIR, "Not a directory", "/srv/certs/x")
    assert describe_error(nodir) == "NotADirectoryError: Not a directory (/srv/certs/x)"
    moved = OSError(errno.EXDEV, "Invalid cross-device link", "/a", None, "/b")
    assert describe_error(moved) == "OSError: Invalid cross-device link (/a -> /b)"


def test_a_config_through_a_symlink_keeps_store_and_state_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = tmp_path / "repo"
    real.mkdir()
    (real / "c.yaml").write_text(MINIMAL % "")
    linked = tmp_path / "etc"
    linked.mkdir()
    (linked / "certificates.yaml").symlink_to(real / "c.yaml")
    monkeypatch.delenv("RENEWER_STATE_DIR", raising=False)
    (spec,) = load_config(linked / "certificates.yaml", {}).certificates
    assert isinstance(spec.store.backend, DirectorySettings)
    store = spec.store.backend.path
    # Both beside the real file: the symlink's folder would hold another, empty store.
    assert state_dir(str(linked / "certificates.yaml")).parent == store.parent == real.resolve()


def test_half_written_journal_entries_are_swept(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    journal.open()
    dead = tmp_path / ".run-1-dead.abc.json.tmp"
    dead.write_bytes(b"")  # a killed run's zero-byte entry (its lock file is gone)
    live = Journal(tmp_path)
    live.open()
    alive = tmp_path / f".{live.run}.def.json.tmp"
    alive.write_bytes(b"")  # a live run is writing this one right now
    old = tmp_path / ".0123.json.tmp"  # an older version's unnamed file
    old.write_bytes(b"")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    young = tmp_path / ".4567.json.tmp"
    young.write_bytes(b"")
    assert journal.sweep_temporary() == 2
    assert not dead.exists() and not old.exists()
    assert alive.exists() and young.exists()
    assert oct(os.stat(tmp_path).st_mode & 0o777) == "0o700"
    assert oct(os.stat(tmp_path / f"{journal.run}.lock").st_mode & 0o777) == "0o600"
    live.close()
    assert journal.sweep_temporary() == 1 and not alive.exists()
    journal.close()


def test_store_writes_and_account_files_name_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from renewer.stores import directory
    from renewer.stores.contract import AccountRecord, StoreError
    from tests.unit.factories import spec

    store = directory.DirectoryStore(DirectorySettings(tmp_path))
    store.save_account(AccountRecord("https://ca/dir", "{}", None))
    (account,) = (tmp_path / "_accounts").iterdir()
    for damage in ("{not json", "[]", '{"directory": "x"}'):
        account.write_text(damage)
        with pytest.raises(StoreError, match=rf"{account}: unreadable ACME account file"):
            store.load_account("https://ca/dir")

    def full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(directory.os, "fsync", full)
    with pytest.raises(
        StoreError, match=r"fullchain\.pem: cannot write \(No space left on device\)"
    ):
        store.issue(spec(), LocalCA().finalize)


def test_report_inputs_are_bounded_too(tmp_path: Path, fifo: Path) -> None:
    for path in ("/dev/zero", str(fifo)):
        merged = invoke("report", "merge", path)
        no_traceback(merged)
        assert merged.exit_code == 2 and "is not a regular file" in merged.output
        comment = invoke("report", "comment", "--pull-request", "1", "--body-file", path)
        no_traceback(comment)
        assert comment.exit_code == 2 and "is not a regular file" in comment.output
