"""A user's program as the DNS provider, called the way lego's exec provider calls it.

``PROGRAM present FQDN VALUE`` and ``PROGRAM cleanup FQDN VALUE``, FQDN
absolute with a trailing dot (``_acme-challenge.example.com.``), VALUE the
TXT value; exit status 0 means done. Scripts written for lego's default mode
therefore work unchanged, and any DNS host with a CLI or an API reachable by
curl becomes usable. The single-value contract is the script's to keep: it
must add one value and remove only that one (docs/dns-providers.md).

The program is code renewer does not know, so it gets as little as it needs:

- a minimal environment: PATH, HOME, LANG and TMPDIR from renewer's own, plus
  the variables ``dns.env`` names (its DNS API credentials). Nothing else:
  not the ACME EAB key, the webhook URLs, the job's GITHUB_TOKEN or the OIDC
  request token that could mint tokens for the production identity. The
  values of the named variables are registered as secrets, so the log masks
  them wherever they appear.
- its stdout and stderr go to the log only, line by line (INFO, or WARNING
  when the program failed, so the reason is seen without ``-v``), masked
  (registered secrets, then anything shaped like a credential: known token
  prefixes, JWTs, ``Authorization:`` values, ``token=...`` pairs, long
  key-like runs). The error a failure raises, and with it the JSON report, the
  job summary, the tracking issue and the notifications, says only the exit
  status and a fixed sentence: the output of a script is not text renewer can
  vouch for, and those places are public in a public repository.

It runs in its own process group; on timeout the whole group is killed, so a
script's children (curl, nsupdate) cannot outlive it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence

from renewer.config.types.dns_exec import BASE_ENV, ExecSettings
from renewer.core import redact
from renewer.dns.contract import DnsError, DnsProvider, absolute

log = logging.getLogger(__name__)

OUTPUT_LIMIT = 64 * 1024  # logged characters per stream; a runaway script cannot flood logs
SEE_LOG = "its output is in the run's log only"
# Shapes of credentials a script may print without renewer knowing the value: GitHub,
# Slack and cloud tokens by prefix, JWTs, an Authorization header's value and long runs
# of key-like characters; and NAME=VALUE or "name": "value" pairs whose name says secret
# (the name is kept, the value masked).
_TOKEN_SHAPES = re.compile(
    r"\b(?:gh[pousr]_|github_pat_|xox[abposr]-|AKIA|ASIA|AIza|sk-|glpat-)[A-Za-z0-9_\-]{8,}"
    r"|\beyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*"
    r"|(?i:(?<=authorization: )(?:\w+ )?\S+|(?<=bearer )\S+)"
    r"|\b[A-Za-z0-9+/_\-]{32,}={0,2}"
)
_SECRET_PAIRS = re.compile(
    r"(?i)((?:token|secret|password|passwd|key|credential|auth)[\"']?\s*[:=]\s*[\"']?)"
    r"[^\s\"',;&]+"
)


class ExecProvider(DnsProvider):
    """Runs ``program present|cleanup FQDN VALUE`` for each TXT value."""

    def __init__(self, settings: ExecSettings) -> None:
        self.program = settings.program
        self.timeout = settings.timeout
        self.env_names = settings.env

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
                env=child_environment(os.environ, self.env_names),
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
            self._log(action, out, err, logging.WARNING)
            raise DnsError(
                f"{what}: no answer within {self.timeout:g}s; the process group was killed "
                "(raise dns.timeout or fix the script)",
                transient=True,
            ) from None
        failed = proc.returncode != 0
        self._log(action, out, err, logging.WARNING if failed else logging.INFO)
        if failed:
            raise DnsError(f"{what}: exited with status {proc.returncode} ({SEE_LOG})")

    def _log(self, action: str, out: str, err: str, level: int) -> None:
        """The output, masked, in the log: at WARNING when it explains a failure."""
        for stream, text in (("stdout", out), ("stderr", err)):
            for line in mask(text[:OUTPUT_LIMIT]).splitlines():
                log.log(level, "%s %s %s: %s", self.describe(), action, stream, line)


def child_environment(environ: Mapping[str, str], names: Sequence[str]) -> dict[str, str]:
    """PATH, HOME, LANG, TMPDIR and the named variables that are set; nothing else.

    The named values are registered as secrets: they are the program's credentials.
    """
    child = {name: environ[name] for name in BASE_ENV if name in environ}
    for name in names:
        if name in environ:
            child[name] = environ[name]
            redact.register(environ[name])
    return child


def mask(text: str) -> str:
    """Registered secrets, then anything shaped like a credential, as ``***``."""
    shaped = _TOKEN_SHAPES.sub(redact.MASK, redact.redact(text))
    return _SECRET_PAIRS.sub(lambda found: found.group(1) + redact.MASK, shaped)


def _kill_group(proc: subprocess.Popen[str]) -> None:
    """SIGKILL the program's whole process group (it leads its own session).

    Windows has no process groups to signal (nor SIGKILL): the program alone is ended.
    """
    if sys.platform == "win32":
        proc.kill()
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
