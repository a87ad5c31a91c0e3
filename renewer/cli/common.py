"""What every command shares: logging, the common options, loading the
configuration, writing output, and the one way a command fails with exit 2.

Exit codes: 0 all done, 1 a certificate failed, 2 configuration or usage error.
Logs go to stderr; machine output to stdout or ``-o``.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import IO, Any

import click

from renewer.config.loader import Config, ConfigError, load_config
from renewer.core.models import CertificateSpec
from renewer.core.redact import RedactingFilter
from renewer.publish import actions as github

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(click.ClickException):
    """A configuration or usage error: ``error: …`` on stderr, an annotation in
    GitHub Actions, exit 2. The one way a command stops before doing any work."""

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
    return Path(explicit) if explicit else config_path(config).resolve().parent / ".renewer"


def load(config: str | None) -> Config:
    try:
        return load_config(config_path(config))
    except ConfigError as error:
        raise ConfigInvalid(error) from None


def load_specs(config: str | None) -> list[CertificateSpec]:
    return list(load(config).certificates)


def write(text: str, output: str | None) -> None:
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


def warn(message: str, title: str) -> None:
    """A warning on stderr, and an annotation in GitHub Actions."""
    click.echo(f"warning: {message}", err=True)
    if github.in_actions():
        click.echo(github.annotation("warning", message, title=title))


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
shard_option = click.option(
    "--shard",
    "shard_spec",
    metavar="I/N",
    help="Only the I-th of N stable slices of the certificates (parallel jobs).",
)
