"""DNS type ``exec``: a user's program, called like lego's exec provider.

The program gets a minimal environment (see ``renewer.dns.providers.exec``)
plus the variables ``env:`` names. Those names are checked here, so a typo or
a runner credential is a located error at ``validate``, not a surprise at run.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from renewer.config.convert import NUMBER, SECONDS, Context, existing_file
from renewer.config.types.base import DnsAbout, SettingsType, setting, settings
from renewer.core.settings import ProviderSettings

# Always given to the program (from renewer's own environment), so never listed.
BASE_ENV = ("PATH", "HOME", "LANG", "TMPDIR")
# The runner's own credentials and controls: the job's OIDC request token and URL (they
# mint tokens for the production identity), the job's GITHUB_TOKEN, the runner's and
# the Actions service's variables, and a federated token file. No DNS script needs them.
RUNNER_CREDENTIALS = re.compile(
    r"(ACTIONS_.*|GITHUB_TOKEN|RUNNER_.*|AZURE_FEDERATED_TOKEN.*|GH_TOKEN|GITHUB_ENV|"
    r"GITHUB_PATH|GITHUB_OUTPUT|GITHUB_STATE|GITHUB_STEP_SUMMARY)",
    re.IGNORECASE,
)


def _program(value: str, ctx: Context) -> Path:
    """An existing, executable file; relative to the config file, like every path."""
    path = existing_file(value, ctx)
    if not os.access(path, os.X_OK):
        raise ValueError(f"file {str(path)[-80:]!r} is not executable (chmod +x it)")
    return path


def _env_name(value: str, ctx: Context) -> str:
    """A variable the program may see: a plain name, not a runner credential."""
    name = value.strip()
    if name.startswith("env:"):
        raise ValueError(f"list variable names without env: (write {name[4:]!r})")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ValueError(f"{name[:40]!r} is not an environment variable name")
    if name in BASE_ENV:
        raise ValueError(f"{name} is always passed; leave it out")
    if RUNNER_CREDENTIALS.fullmatch(name):
        raise ValueError(
            f"{name} is one of the runner's own credentials or controls; a DNS program "
            "must not get it (pass the DNS API's own token instead)"
        )
    return name


@settings
class ExecSettings(ProviderSettings):
    program: Path = setting(  # absolute: resolved against the config file's folder
        convert=_program,
        description=(
            "Program run as `PROGRAM present|cleanup FQDN VALUE` (lego's exec convention); "
            "relative to the config file."
        ),
    )
    timeout: float = setting(
        default=60.0,
        convert=SECONDS,
        accepts=NUMBER,
        description="Kill the program's process group after this long (default 60s).",
        schema={"$ref": "#/$defs/duration"},
    )
    # Variables passed on to the program, by name. Which records are written does not
    # depend on them, so they stay out of the journal's name for this setting.
    env: tuple[str, ...] = setting(
        default=(),
        identity=False,
        shape="list",
        convert=_env_name,
        unique=True,
        description=(
            "Names of environment variables the program gets, besides PATH, HOME, LANG and "
            "TMPDIR (for example its DNS API token); nothing else of renewer's environment "
            "reaches it. The runner's credentials (ACTIONS_*, GITHUB_TOKEN, RUNNER_*...) are "
            "refused."
        ),
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
    )


TYPE = SettingsType(
    "dns",
    "exec",
    "a program of yours (lego's exec convention)",
    ExecSettings,
    "renewer.dns.providers.exec:ExecProvider",
    about=DnsAbout(
        serves="your program, called like lego's exec provider",
        credentials="its own environment",
        writes_through="your program (lego's exec convention)",
        safety="your program's job",
        tested_against="a shell script + nsupdate + BIND",
    ),
)
