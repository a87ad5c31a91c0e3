"""Process plumbing shared by the rig's servers.

Why this exists: every server must be found reliably (a missing binary is a
setup error, never a skip), started with its output captured to a log file we
can quote in failures, waited for with a deadline, and stopped by its own PID
(terminate, wait, kill) -- never by name, so parallel runs and unrelated
processes are safe.  An ``atexit`` hook stops anything still running if the
interpreter exits without fixture teardown (e.g. a second Ctrl-C).
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self, TypeVar

INSTALL_HINT = (
    "install the test servers with scripts/install-rig.sh (`make demo` runs its no-root part:"
    " Pebble, challtestsrv; `make test` adds BIND and step-ca)"
)

# Directories searched after PATH and Go's GOBIN / GOPATH/bin: Go's default install
# dir for this user (~/go/bin, not only root's) and the sbin dirs that a non-login
# shell may lack (named lives in /usr/sbin).
_FALLBACK_DIRS = (
    os.path.join(os.path.expanduser("~"), "go", "bin"),
    "/root/go/bin",
    "/usr/local/sbin",
    "/usr/sbin",
    "/sbin",
)

# Output fragments meaning "someone else took our port" (Go and BIND wording;
# BIND 9.18 only says it could not create the interface, then exits).
CLASH_MARKERS = (
    "address already in use",
    "address in use",
    "unable to listen on any configured interfaces",
)


class RigError(RuntimeError):
    """A test server could not be found, configured or started."""


class PortClash(RigError):
    """The server lost a race for its port; the caller retries with new ports."""


def _go_bin_dirs() -> list[str]:
    """Return where ``go install`` puts binaries for this user: GOBIN, GOPATH's first /bin.

    Asked of the go toolchain itself, so a non-root user's GOPATH (``~/go`` by default,
    or whatever ``go env -w`` set) is searched, not a fixed path.
    """
    go = shutil.which("go") or (
        "/usr/local/go/bin/go" if os.path.exists("/usr/local/go/bin/go") else None
    )
    if go is None:
        return []
    try:
        out = subprocess.run(
            [go, "env", "GOBIN", "GOPATH"], capture_output=True, text=True, timeout=30, check=True
        ).stdout.splitlines()
    except (OSError, subprocess.SubprocessError):
        return []
    gobin, gopath = [*out, "", ""][:2]
    first = gopath.strip().split(os.pathsep)[0]
    return [d for d in (gobin.strip(), os.path.join(first, "bin") if first else "") if d]


def find_binary(name: str) -> str:
    """Locate ``name`` on PATH, in ``$(go env GOPATH)/bin`` or a known fallback dir.

    Raises RigError naming scripts/install-rig.sh, because the integration
    tests must fail loudly rather than skip when the rig is not installed.
    """
    found = shutil.which(name)
    if found:
        return found
    dirs = list(dict.fromkeys([*_go_bin_dirs(), *_FALLBACK_DIRS]))
    for directory in dirs:
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    raise RigError(f"{name!r} not found on PATH or in {dirs}; {INSTALL_HINT}")


T = TypeVar("T")

_LIVE: set[ServerProcess] = set()


class ServerProcess:
    """One child server process, its log file, and its PID-based shutdown."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        log_path: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_offset = 0  # where this start's output begins (the log is appended)

    @property
    def pid(self) -> int:
        """PID of the running child (RigError if never started)."""
        if self._proc is None:
            raise RigError(f"{self.name} was not started")
        return self._proc.pid

    def start(self) -> None:
        """Launch the child with stdout+stderr appended to ``log_path``."""
        full_env = {**os.environ, **(self.env or {})}
        with open(self.log_path, "ab") as log:
            log.write(f"--- starting: {' '.join(self.argv)}\n".encode())
            log.flush()
            self._log_offset = log.tell()
            # New session: a Ctrl-C on pytest must not kill servers before
            # teardown gets to stop them (and log their exit) by PID.
            self._proc = subprocess.Popen(
                self.argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=full_env,
                cwd=self.cwd,
                start_new_session=True,
            )
        _LIVE.add(self)

    def running(self) -> bool:
        """True while the child has not exited."""
        return self._proc is not None and self._proc.poll() is None

    def output(self, tail_chars: int = 4000) -> str:
        """The last ``tail_chars`` characters of this start's combined output."""
        try:
            with open(self.log_path, "rb") as log:
                log.seek(self._log_offset)
                text = log.read().decode(errors="replace")
        except OSError:
            return "<no log>"
        return text[-tail_chars:]

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate by PID, wait up to ``timeout``, then kill.  Idempotent."""
        _LIVE.discard(self)
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout)

    def wait_ready(self, probe: Callable[[], bool], *, what: str, timeout: float) -> float:
        """Poll ``probe`` until it returns True; return seconds taken.

        Fails (after stopping the child) if the child exits, reports a port
        clash, or the deadline passes; the message carries the child's output
        so a CI log alone explains the failure.
        """
        start = time.monotonic()
        deadline = start + timeout
        last_error = "probe never succeeded"
        while True:
            out = self.output(20000).lower()
            if any(marker in out for marker in CLASH_MARKERS):
                self.stop()
                raise PortClash(f"{self.name}: port taken while starting\n{self.output()}")
            if not self.running():
                rc = self._proc.returncode if self._proc else None
                raise RigError(
                    f"{self.name} exited with {rc} before {what}; "
                    f"log {self.log_path}:\n{self.output()}"
                )
            try:
                if probe():
                    return time.monotonic() - start
            except Exception as exc:  # the probe's own failure is expected until ready
                last_error = f"{type(exc).__name__}: {exc}"
            if time.monotonic() > deadline:
                self.stop()
                raise RigError(
                    f"{self.name}: {what} not reached within {timeout}s "
                    f"(last probe error: {last_error}); log {self.log_path}:\n"
                    f"{self.output()}"
                )
            time.sleep(0.05)


class Service:
    """A rig server with ``start()``/``stop()``; ``with`` starts it and stops it again."""

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class ProcessServer(Service):
    """A rig server run as one child ``ServerProcess`` (``_proc``, set by ``start``)."""

    _proc: ServerProcess | None = None

    def stop(self) -> None:
        """Stop the process by PID (terminate, wait, kill).  Idempotent."""
        if self._proc is not None:
            self._proc.stop()


def _stop_all() -> None:
    """Last-resort cleanup so no server outlives the test interpreter."""
    for proc in list(_LIVE):
        proc.stop(timeout=5.0)


atexit.register(_stop_all)


def retry_on_clash(launch: Callable[[], T], attempts: int = 3) -> T:
    """Call ``launch`` (which picks fresh ports each time) until no PortClash."""
    for _ in range(attempts - 1):
        try:
            return launch()
        except PortClash:
            continue
    return launch()
