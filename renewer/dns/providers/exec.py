"""A user's program as the DNS provider, called the way lego's exec provider calls it.

``PROGRAM present FQDN VALUE`` and ``PROGRAM cleanup FQDN VALUE``, FQDN
absolute with a trailing dot (``_acme-challenge.example.com.``), VALUE the
TXT value; exit status 0 means done. Scripts written for lego's default mode
therefore work unchanged, and any DNS host with a CLI or an API reachable by
curl becomes usable. The single-value contract is the script's to keep: it
must add one value and remove only that one (docs/dns-providers.md).

The program runs in its own process group with the run's environment (its
credentials come from there, never from certificates.yaml). Its stdout and
stderr are logged line by line at INFO, after masking every registered
secret (``renewer.core.redact``). On timeout the whole group is killed, so a
script's children (curl, nsupdate) cannot outlive it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

from renewer.core import redact
from renewer.dns.contract import DnsError, DnsProvider, absolute

log = logging.getLogger(__name__)

OUTPUT_LIMIT = 64 * 1024  # logged characters per stream; a runaway script cannot flood logs
LINE_LIMIT = 200


class ExecProvider(DnsProvider):
    """Runs ``program present|cleanup FQDN VALUE`` for each TXT value."""

    def __init__(self, program: Path, *, timeout: float = 60.0) -> None:
        self.program = program
        self.timeout = timeout

    def describe(self) -> str:
        return f"exec {self.program}"

    def present(self, fqdn: str, value: str) -> None:
        self._run("present", absolute(fqdn), value)

    def cleanup(self, fqdn: str, value: str) -> None:
        self._run("cleanup", absolute(fqdn), value)

    def _run(self, action: str, fqdn: str, value: str) -> None:
        what = f"{self.describe()} {action} {fqdn}"
        try:
            proc = subprocess.Popen(
                [str(self.program), action, fqdn, value],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                errors="replace",
                start_new_session=True,  # its own group: a timeout kills its children too
            )
        except OSError as exc:
            raise DnsError(
                f"{what}: cannot start the program ({exc.strerror}); "
                "check dns.program exists and is executable (chmod +x)"
            ) from None
        try:
            out, err = proc.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            try:
                out, err = proc.communicate(timeout=5)
            except subprocess.TimeoutExpired:  # a child left the group but holds the pipes
                out, err = "", ""
            self._log(action, out, err)
            raise DnsError(
                f"{what}: no answer within {self.timeout:g}s; the process group was killed "
                "(raise dns.timeout or fix the script)",
                transient=True,
            ) from None
        self._log(action, out, err)
        if proc.returncode != 0:
            last = _last_line(err) or _last_line(out)
            raise DnsError(
                f"{what}: exited with status {proc.returncode}" + (f": {last}" if last else "")
            )

    def _log(self, action: str, out: str, err: str) -> None:
        for stream, text in (("stdout", out), ("stderr", err)):
            for line in redact.redact(text[:OUTPUT_LIMIT]).splitlines():
                log.info("%s %s %s: %s", self.describe(), action, stream, line)


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return redact.redact(lines[-1].strip())[:LINE_LIMIT] if lines else ""


def _kill_group(proc: subprocess.Popen[str]) -> None:
    """SIGKILL the program's whole process group (it leads its own session).

    Windows has no process groups to signal (nor SIGKILL): the program alone is ended.
    """
    if sys.platform == "win32":
        proc.kill()
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
