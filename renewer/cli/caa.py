"""``renewer caa``: the CAA records to publish, per zone, in zone-file form."""

from __future__ import annotations

import sys

import click

from renewer.cli.common import EXIT_FAILED, EXIT_OK, config_option, load_specs
from renewer.cli.main import main
from renewer.core.errors import describe_error
from renewer.execute.services import Services


@main.command()
@config_option
def caa(config: str | None) -> None:
    """Print the CAA records that allow only this CA, account and dns-01, per zone.

    Each is an ``issue`` record with ``accounturi`` (the account the store
    keeps) and ``validationmethods`` (RFC 8657); a record at the zone covers
    every name below it. Nothing is written. Exit 1 when a CA or store could
    not be asked.
    """
    from renewer.execute.caa_records import recommend

    specs = load_specs(config)
    services = Services()
    try:
        zones = recommend(
            specs,
            lambda spec: services.stores.get(spec.store),
            lambda spec, store: services.account(spec.acme, store),
        )
    except Exception as exc:
        click.echo(f"error: {describe_error(exc)}", err=True)
        sys.exit(EXIT_FAILED)
    for entry in zones:
        click.echo(
            f"; {entry.zone} for {entry.directory}" + (f" ({entry.note})" if entry.note else "")
        )
        for record in entry.records:
            click.echo(f"{entry.zone}\t3600\tIN\tCAA\t{record.text()}")
    sys.exit(EXIT_OK)
