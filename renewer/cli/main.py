"""The ``renewer`` command group; each command lives in the module of its use case."""

from __future__ import annotations

import click

from renewer.cli.common import config_option, config_path, load_specs, setup_logging, warn
from renewer.config import schema as config_schema
from renewer.config.consumers import consumer_warnings


@click.group()
@click.option("-v", "--verbose", count=True, help="-v INFO, -vv DEBUG (secrets never logged).")
@click.version_option(package_name="renewer")
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
