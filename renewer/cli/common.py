"""What every command shares: logging, the common options, loading the
configuration, writing output, and the one way a command fails with exit 2.

Exit codes: 0 all done, 1 a certificate failed, 2 configuration or usage error.
Logs go to stderr; machine output to stdout or ``-o``.
"""

from __future__ import annotations

import logging
import math
import os
import re
import stat
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

from renewer.core.errors import RenewerError
from renewer.core.files import base_dir
from renewer.core.redact import RedactingFilter
from renewer.publish import actions as github

if TYPE_CHECKING:  # the loader is imported by load(): ``renewer --help`` reads no config
    from renewer.config.loader import Config, ConfigError
    from renewer.core.models import CertificateSpec

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(click.ClickException, RenewerError):
    """A configuration or usage error: ``error: …`` on stderr, an annotation in
    GitHub Actions, exit 2. The one way a command stops before doing any work.

    A click exception (click shows it and exits 2) and, like every error renewer
    raises on purpose, a ``RenewerError``."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, title: str = "renewer") -> None:
        super().__init__(message)
        self.title = title

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"error: {self.message}", err=True)
        if github.in_actions():
            click.echo(github.annotation("error", self.message, title=self.title))


class ConfigInvalid(UsageError):
    """certificates.yaml is broken: every problem as FILE:LINE:COL, each an annotation."""

    def __init__(self, error: ConfigError) -> None:
        super().__init__(str(error))
        self.error = error

    def show(self, file: IO[Any] | None = None) -> None:
        for issue in self.error.issues:
            click.echo(str(issue), err=True)
            if github.in_actions():
                click.echo(
                    github.annotation(
                        "error",
                        issue.message,
                        issue.file,
                        issue.line,
                        issue.column,
                        "certificates.yaml",
                    )
                )


def setup_logging(verbose: int) -> None:
    names = {"DEBUG": logging.DEBUG, "INFO": logging.INFO, "WARNING": logging.WARNING}
    level = names.get(os.environ.get("RENEWER_LOG_LEVEL", "").upper(), logging.WARNING)
    if verbose:
        level = logging.DEBUG if verbose > 1 else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # The acme library logs whole JWS bodies at DEBUG; ours are enough.
    logging.getLogger("acme").setLevel(max(level, logging.INFO))
    logging.getLogger("urllib3").setLevel(max(level, logging.INFO))
    # azure-core logs every request at INFO and azure-identity repeats each sign-in failure
    # with a traceback; renewer's own one-line errors say it, so keep them for -vv.
    debug = level <= logging.DEBUG
    logging.getLogger("azure").setLevel(logging.INFO if debug else logging.WARNING)
    logging.getLogger("azure.identity").setLevel(logging.INFO if debug else logging.ERROR)


def config_path(value: str | None) -> Path:
    return Path(value or os.environ.get("RENEWER_CONFIG") or "certificates.yaml")


def state_dir(config: str | None) -> Path:
    """Run state (the TXT journal) kept next to the configuration, or $RENEWER_STATE_DIR."""
    explicit = os.environ.get("RENEWER_STATE_DIR")
    if explicit:
        return Path(explicit)
    # The folder the loader reads relative paths from (the real file's), so the store
    # and the state stay side by side however the configuration was reached.
    return base_dir(config_path(config)) / ".renewer"


def load(config: str | None) -> Config:
    from renewer.config.loader import ConfigError, load_config

    try:
        return load_config(config_path(config))
    except ConfigError as error:
        raise ConfigInvalid(error) from None


def load_specs(config: str | None) -> list[CertificateSpec]:
    return list(load(config).certificates)


STREAMS = ("/dev/stdout", "/dev/stderr", os.devnull)  # devices an output may name


def output_problem(path: str) -> str | None:
    """Why ``path`` cannot take this run's output, or None: checked before any work.

    A report that cannot be written after the certificates were issued is a
    run whose result nobody sees, so a missing folder, a directory, a device
    like /dev/full or a read-only target stops the command first (exit 2).
    """
    if not path:
        return "empty path"
    if path in STREAMS:
        return None
    target = Path(path)
    try:
        info = target.stat()
    except FileNotFoundError:
        parent = target.parent
        if not parent.exists():
            return f"folder {parent} does not exist"
        if not parent.is_dir():
            return f"{parent} is not a folder"
        if not os.access(parent, os.W_OK | os.X_OK):
            return f"folder {parent} is not writable"
        return None
    except NotADirectoryError:
        blocker = next((p for p in target.parents if p.exists() and not p.is_dir()), None)
        return f"{blocker or target.parent} is not a folder"
    except OSError as exc:
        return exc.strerror or exc.__class__.__name__
    if stat.S_ISDIR(info.st_mode):
        return "is a directory"
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file (a device or pipe); name a file"
    if not os.access(target, os.W_OK):
        return "is not writable"
    return None


def check_outputs(outputs: Mapping[str, str | None]) -> None:
    """UsageError (exit 2) naming the first option whose path cannot be written."""
    for option, path in outputs.items():
        if path is None:
            continue
        problem = output_problem(path)
        if problem:
            raise UsageError(f"{option} {path}: {problem}")


def step_summary_output() -> dict[str, str | None]:
    """$GITHUB_STEP_SUMMARY, when set: every command that appends to it checks it first."""
    return {"$GITHUB_STEP_SUMMARY": os.environ.get("GITHUB_STEP_SUMMARY") or None}


def write(text: str, output: str | None) -> None:
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


def write_or_fallback(text: str, output: str, option: str) -> bool:
    """Write ``text``; if that fails now (after the work), say so and put it on stderr.

    Returns False on failure so the command exits 1: the run happened, its
    record did not reach the place asked for.
    """
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        click.echo(f"error: {option} {output}: cannot write ({reason}); it follows here", err=True)
        click.echo(text, err=True, nl=False)
        return False
    return True


def step_summary_or_fallback(markdown: str) -> bool:
    """``append_step_summary``; a failure now is reported, with the Markdown on stderr."""
    try:
        github.append_step_summary(markdown)
    except OSError as exc:
        target = os.environ.get("GITHUB_STEP_SUMMARY")
        reason = exc.strerror or exc.__class__.__name__
        click.echo(f"error: $GITHUB_STEP_SUMMARY {target}: cannot write ({reason})", err=True)
        click.echo(markdown, err=True, nl=False)
        return False
    return True


def warn(message: str, title: str) -> None:
    """A warning on stderr, and an annotation in GitHub Actions."""
    click.echo(f"warning: {message}", err=True)
    if github.in_actions():
        click.echo(github.annotation("warning", message, title=title))


class AsciiNumber(click.ParamType[float]):
    """A finite number written in ASCII digits, within [low, high].

    Python's ``float`` takes "nan", "inf", "1_0" and digits of any script
    (U+FF15, a fullwidth 5); click's ranges let NaN through (every comparison is false). A
    deadline or a count is typed by a person or a workflow: only plain
    decimal digits are accepted.
    """

    def __init__(self, kind: type[int] | type[float], low: float, high: float | None = None):
        self.kind = kind
        self.low, self.high = low, high
        self.name = "integer" if kind is int else "number"
        self.pattern = re.compile(r"[0-9]+" if kind is int else r"[0-9]+(\.[0-9]+)?", re.ASCII)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            number: float = value
        else:
            text = str(value).strip()
            if not self.pattern.fullmatch(text):
                self.fail(f"{value!r} is not a plain decimal {self.name} (digits 0-9)", param, ctx)
            number = self.kind(text)
        if not math.isfinite(number) or number < self.low:
            self.fail(f"{value!r} is below {self.low:g}", param, ctx)
        if self.high is not None and number > self.high:
            self.fail(f"{value!r} is above {self.high:g}", param, ctx)
        return self.kind(number)


config_option = click.option(
    "-c",
    "--config",
    "config",
    metavar="FILE",
    help="certificates.yaml (default: $RENEWER_CONFIG, then ./certificates.yaml)",
)
only_option = click.option(
    "--only", multiple=True, metavar="NAME", help="Only this certificate (repeatable)."
)
force_option = click.option("--force", is_flag=True, help="Renew even if not due.")
refresh_option = click.option(
    "--refresh-renewal-info",
    "refresh",
    is_flag=True,
    help="Ask the CA for every renewal window, even where the store remembers one "
    "whose Retry-After has not passed.",
)
shard_option = click.option(
    "--shard",
    "shard_spec",
    metavar="I/N",
    help="Only the I-th of N stable slices of the certificates (parallel jobs).",
)
