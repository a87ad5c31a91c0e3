"""Due means due: a certificate whose lock another holder has is *blocked*, never unchanged.

The directory store's lock (renewer/stores/lockfile.py) records who holds it;
the executor reports ``blocked`` with that holder; the report escalates it like
a failure near expiry or when the holder is not a live renewer. Lock files and
folders get explicit modes whatever the umask, and a lock file opened
read-only (a user who cannot write the store) can no longer be taken.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest

from renewer.config.types.store_directory import DirectorySettings
from renewer.core.models import ActionKind, LockHolder, Outcome, Result
from renewer.core.settings import StoreSettings
from renewer.execute.executor import Executor
from renewer.execute.services import Services
from renewer.plan.planner import plan as make_plan
from renewer.report.escalation import Severity, classify, fails_run
from renewer.report.model import RunReport
from renewer.report.render import failing, render_json, render_markdown, render_text
from renewer.stores import lockfile
from renewer.stores.contract import AccountRecord, LockBusy, StoreError
from renewer.stores.directory import DirectoryStore
from tests.unit.factories import NOW, spec
from tests.unit.local_ca import LocalCA

DAY = timedelta(days=1)
SCHEMA = Path(__file__).parents[3] / "docs" / "report.schema.json"


@pytest.fixture
def open_umask() -> Iterator[None]:
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_folders_and_lock_have_explicit_modes_under_umask_000(
    tmp_path: Path, open_umask: None
) -> None:
    root = tmp_path / "store" / "nested"
    store, s = DirectoryStore(DirectorySettings(root)), spec()
    with store.lock(s.name):
        assert mode(root / s.name / ".lock") == 0o600
    store.issue(s, LocalCA().finalize)
    store.save_account(AccountRecord("https://ca/dir", "{}", None))
    for folder in (tmp_path / "store", root, root / s.name, root / s.name / "versions"):
        assert mode(folder) == 0o700, folder
    (version,) = (root / s.name / "versions").iterdir()
    assert mode(version) == 0o700
    assert mode(version / "privkey.pem") == 0o600
    assert mode(version / "cert.pem") == 0o644
    assert mode(root / "_accounts") == 0o700


def test_an_old_world_readable_lock_file_is_tightened(tmp_path: Path, open_umask: None) -> None:
    folder = tmp_path / "c"
    folder.mkdir(mode=0o755)
    (folder / ".lock").write_text("")
    os.chmod(folder / ".lock", 0o666)  # noqa: S103 - the old, too-open lock
    with DirectoryStore(DirectorySettings(tmp_path)).lock("c"):
        assert mode(folder / ".lock") == 0o600


def test_the_holder_records_itself_and_clears_on_release(tmp_path: Path) -> None:
    store = DirectoryStore(DirectorySettings(tmp_path))
    with store.lock("a"):
        record = json.loads((tmp_path / "a" / ".lock").read_text())
        assert record["pid"] == os.getpid() and record["host"] == socket.gethostname()
        assert datetime.fromisoformat(record["since"]) <= datetime.now(UTC)
        with pytest.raises(LockBusy) as busy, DirectoryStore(DirectorySettings(tmp_path)).lock("a"):
            pass
    holder = busy.value.holder
    assert holder is not None and holder.pid == os.getpid() and holder.live is True
    assert f"pid {os.getpid()} on host {socket.gethostname()} since" in str(busy.value)
    assert (tmp_path / "a" / ".lock").read_text() == ""


def foreign_flock(path: Path, record: str | None) -> int:
    """Another process's view: an flock on its own descriptor, with or without a record."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    if record is not None:
        os.write(fd, record.encode())
    return fd


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.mark.parametrize(
    ("record", "live", "words"),
    [
        (None, False, "did not record itself"),
        ("not json", False, "did not record itself"),
        ('{"pid": "x"}', False, "did not record itself"),
        ("DEAD", False, "(not running)"),
        ("REUSED", False, "(not running)"),
        ("OTHERHOST", None, "on host elsewhere.example"),
        ("ALIVE", True, "since 2026-11-28 12:00:00 UTC"),
    ],
)
def test_a_busy_lock_names_its_holder_and_whether_it_runs(
    tmp_path: Path, record: str | None, live: bool | None, words: str
) -> None:
    host, since = socket.gethostname(), NOW.isoformat()
    me = os.getpid()
    records = {
        "DEAD": {"pid": dead_pid(), "host": host, "since": since},
        "REUSED": {"pid": me, "host": host, "since": since, "start": "1"},
        "OTHERHOST": {"pid": 1, "host": "elsewhere.example", "since": since},
        "ALIVE": {"pid": me, "host": host, "since": since, "start": lockfile.process_start(me)},
    }
    text = json.dumps(records[record]) if record in records else record
    fd = foreign_flock(tmp_path / "a" / ".lock", text)
    try:
        with pytest.raises(LockBusy) as busy, DirectoryStore(DirectorySettings(tmp_path)).lock("a"):
            pass
    finally:
        os.close(fd)
    assert busy.value.holder is not None and busy.value.holder.live is live
    assert words in str(busy.value)


def test_a_user_who_cannot_write_the_store_cannot_take_its_lock() -> None:
    """As user nobody: the old layout (0755 folder, 0644 lock) allowed an flock on a
    read-only descriptor; renewer's lock opens read-write, so it is refused."""
    base = Path(tempfile.mkdtemp(prefix="renewer-lock-"))  # pytest's tmp is 0700 (root only)
    folder = base / "store" / "a"
    folder.mkdir(parents=True)
    for part in (base, base / "store", folder):
        os.chmod(part, 0o755)  # noqa: S103 - readable by nobody
    lock = folder / ".lock"
    lock.write_text("")
    os.chmod(lock, 0o644)
    code = (
        "import fcntl, os, sys\n"
        "from pathlib import Path\n"
        "from renewer.stores.lockfile import hold\n"  # imported as root: the stdlib is in /root
        "os.setgid(65534); os.setuid(65534)\n"
        "fd = os.open(sys.argv[1], os.O_RDONLY)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"  # the old attack works on read-only
        "os.close(fd)\n"
        "try:\n"
        "    with hold(Path(sys.argv[1]), 'a'):\n"
        "        print('TAKEN')\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[3])}
    out = subprocess.run(
        [sys.executable, "-c", code, str(lock)], capture_output=True, text=True, env=env
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("StoreError") and "Permission denied" in out.stdout
    assert "TAKEN" not in out.stdout
    shutil.rmtree(base)


def test_a_planted_lock_symlink_is_replaced_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "victim"
    target.write_text("keep")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / ".lock").symlink_to(target)
    with DirectoryStore(DirectorySettings(tmp_path)).lock("a"):
        assert not (tmp_path / "a" / ".lock").is_symlink()
    assert target.read_text() == "keep"


def test_an_unopenable_lock_is_a_store_error_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / ".lock").mkdir()  # a directory where the lock file belongs
    with (
        pytest.raises(StoreError, match=r"a/\.lock: cannot open the lock"),
        DirectoryStore(DirectorySettings(tmp_path)).lock("a"),
    ):
        pass


def blocked_run(tmp_path: Path, left: timedelta, record: str | None) -> RunReport:
    """A due certificate (forced) whose lock another process holds; nothing else contacted."""
    s = spec()
    s = replace(s, store=StoreSettings("directory", DirectorySettings(tmp_path)))
    store = DirectoryStore(DirectorySettings(tmp_path))
    issued = datetime.now(UTC) + left - 90 * DAY
    store.issue(s, lambda csr: LocalCA().finalize(csr, issued_at=issued))
    stored = store.current(s.name)
    assert stored is not None
    the_plan = make_plan([s], {s.name: stored}, datetime.now(UTC), {}, force=True)
    fd = foreign_flock(tmp_path / s.name / ".lock", record)
    try:
        with Services() as services:
            results = Executor(services).execute(the_plan)
    finally:
        os.close(fd)
    return RunReport(plan=the_plan, results=results)


def alive_record() -> str:
    me = os.getpid()
    return json.dumps(
        {
            "pid": me,
            "host": socket.gethostname(),
            "since": NOW.isoformat(),
            "start": lockfile.process_start(me),
        }
    )


@pytest.mark.parametrize(
    ("left", "record", "fails", "severity"),
    [
        (60 * DAY, "ALIVE", False, "warning"),  # a live renewer has it, plenty of time
        (10 * DAY, "ALIVE", False, "at-risk"),
        (2 * DAY, "ALIVE", True, "critical"),  # inside the emergency window
        (-DAY, "ALIVE", True, "expired"),
        (60 * DAY, None, True, "warning"),  # someone holds it who is not a renewer
        (60 * DAY, "DEAD", True, "warning"),
    ],
)
def test_blocked_is_reported_and_escalates_by_class(
    tmp_path: Path, left: timedelta, record: str | None, fails: bool, severity: str
) -> None:
    text = alive_record() if record == "ALIVE" else record
    if record == "DEAD":
        text = json.dumps({"pid": dead_pid(), "host": socket.gethostname(), "since": "x"})
    the_report = blocked_run(tmp_path, left, text)
    (result,) = the_report.results
    assert result.outcome is Outcome.BLOCKED and result.action is ActionKind.RENEW
    assert result.error and "being renewed by another run" in result.error
    assert bool(failing(the_report)) is fails
    body = json.loads(render_json(the_report))
    row = body["certificates"][0]
    assert row["result"] == "blocked" and row["severity"] == severity
    assert row["holder"]["live"] is {"ALIVE": True}.get(str(record), False)
    assert body["summary"]["blocked"] == 1 and body["summary"]["skipped"] == 0
    assert render_text(the_report).rstrip().endswith("0 planned, 1 blocked.")
    assert "unchanged" not in render_text(the_report).splitlines()[0]
    markdown = render_markdown(the_report)
    assert "**1** blocked" in markdown and "🔒" in markdown
    assert ("**blocked:" in markdown) is (fails or severity == "at-risk")  # flagged: bold
    jsonschema.validate(body, json.loads(SCHEMA.read_text()))


def test_waiting_outcomes_escalate_only_when_urgent_or_orphaned() -> None:
    nb, na = NOW - 80 * DAY, NOW + 10 * DAY
    base = Result("a", ActionKind.RENEW, "due", Outcome.BLOCKED, error="busy")
    live = LockHolder(1, "h", NOW, True)
    assert not fails_run(base, classify(base, nb, na, NOW))
    held = Result("a", ActionKind.RENEW, "due", Outcome.BLOCKED, holder=live)
    assert not fails_run(held, classify(held, nb, na, NOW))
    gone = Result("a", ActionKind.RENEW, "due", Outcome.BLOCKED, holder=LockHolder(live=False))
    level = classify(gone, nb, na, NOW)
    assert level is not None and level.level == "error" and fails_run(gone, level)
    other_host = Result("a", ActionKind.ISSUE, "new", Outcome.BLOCKED, holder=LockHolder(1, "x"))
    level = classify(other_host, None, None, NOW)
    assert level is not None and level.severity is Severity.NOT_ISSUED
    assert not fails_run(other_host, level)
    skipped = Result("a", ActionKind.SKIP, "fine", Outcome.SKIPPED)
    assert classify(skipped, nb, na, NOW) is None and not fails_run(skipped, None)
