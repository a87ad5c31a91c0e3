"""The ``renewer`` command group; each command lives in the module of its use case."""

from __future__ import annotations

import logging
from typing import Any

import click

from renewer import __version__
from renewer.cli.common import (
    EXIT_FAILED,
    config_option,
    config_path,
    load_specs,
    setup_logging,
    warn,
)
from renewer.config import schema as config_schema
from renewer.config.consumers import consumer_warnings
from renewer.core.errors import describe_error

log = logging.getLogger(__name__)


class GuardedGroup(click.Group):
    """No traceback for any input or environment: an unexpected error is one line, exit 1.

    Commands turn what they expect into located messages; this is the net for
    what they did not (the traceback stays available at -vv).
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            log.debug("unexpected failure", exc_info=True)
            click.echo(f"error: {describe_error(exc)} (unexpected; -vv shows where)", err=True)
            ctx.exit(EXIT_FAILED)


@click.group(cls=GuardedGroup)
@click.option("-v", "--verbose", count=True, help="-v INFO, -vv DEBUG (secrets never logged).")
@click.version_option(version=__version__, prog_name="renewer")
def main(verbose: int) -> None:
    """Certificates as code: ACME DNS-01 certificates into Azure Key Vault."""
    setup_logging(verbose)


@main.command()
@config_option
def validate(config: str | None) -> None:
    """Check certificates.yaml; exit 0 if valid, 2 with FILE:LINE:COL messages if not."""
    specs = load_specs(config)
    for line in consumer_warnings(specs):
        warn(line, "certificates.yaml")
    click.echo(f"{config_path(config)}: valid ({len(specs)} certificates)")


@main.command()
def schema() -> None:
    """Print the JSON Schema of certificates.yaml, generated from the loader's tables.

    renewer/schema/certificates.schema.json, where editors look, is this output.
    """
    click.echo(config_schema.render(), nl=False)
