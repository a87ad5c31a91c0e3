"""``renewer adopt NAME…``: write renewer's tags on certificates another tool issued."""

from __future__ import annotations

import sys

import click

from renewer.cli.common import EXIT_FAILED, EXIT_OK, UsageError, config_option, load_specs
from renewer.cli.main import main


@main.command()
@click.argument("names", nargs=-1, required=True)
@config_option
def adopt(names: tuple[str, ...], config: str | None) -> None:
    """Take over certificates another tool issued (keyvault-acmebot): tags only.

    Each NAME must be in certificates.yaml. Only the vault tags of the current
    version change: nothing is deleted or re-issued, consumers keep reading the
    same certificate, and from the next run on renewer renews it as new versions
    of the same name. Exit 1 if any could not be adopted.
    """
    from renewer.execute.adopt import adopt as adopt_all  # the store stacks, only when used
    from renewer.execute.services import Services
    from renewer.plan.planner import UnknownCertificate, select

    specs = load_specs(config)
    try:
        chosen = select(specs, names)
    except UnknownCertificate as error:
        raise UsageError(str(error)) from None
    outcomes = adopt_all(chosen, Services())
    for outcome in outcomes:
        click.echo(outcome.line(), err=outcome.error is not None)
    sys.exit(EXIT_FAILED if any(o.error for o in outcomes) else EXIT_OK)
