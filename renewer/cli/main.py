"""The ``renewer`` command group; each command lives in the module of its use case.

Commands are loaded on first use: ``renewer --help`` and ``renewer validate``
used to import every command's module, and with them the ACME, Azure and DNS
libraries (half a second of a one-certificate run). :data:`COMMANDS` names the
module that defines each command (with ``@main.command``) and its one-line
help, shown by ``renewer --help`` without importing it; a test keeps those
lines equal to the commands' own. A new command is one line here.
"""

from __future__ import annotations

import importlib

import click
from click.utils import make_default_short_help

from renewer.cli.common import config_option, config_path, load_specs, setup_logging
from renewer.config import schema as config_schema

# command name -> (module that registers it on ``main``, its short help)
COMMANDS: dict[str, tuple[str, str]] = {
    "plan": ("renewer.cli.certificates", "Show what a renew would do, and why; changes nothing."),
    "renew": (
        "renewer.cli.certificates",
        "Issue and renew what is due; exit 1 if any certificate failed.",
    ),
    "revoke": (
        "renewer.cli.certificates",
        "Revoke the current certificate NAME; the next run renews it.",
    ),
    "persist": (
        "renewer.cli.certificates",
        "Write dns-persist-01 standing records once; renewals then need no DNS writes.",
    ),
    "notify": (
        "renewer.cli.notify",
        "Send the configured notifications: a sample (--test) or a report's.",
    ),
    "report": (
        "renewer.cli.reports",
        "Merge JSON reports of sharded runs and publish them to GitHub.",
    ),
    "verify": (
        "renewer.cli.verify",
        "Check that each endpoint serves the store's current certificate version.",
    ),
}


class LazyGroup(click.Group):
    """A group whose commands are imported when they are used, listed from COMMANDS."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            importlib.import_module(COMMANDS[cmd_name][0])  # registers it on ``main``
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """As click lays the list out, with the table's line for commands not loaded."""
        names = [
            n for n in self.list_commands(ctx) if not getattr(self.commands.get(n), "hidden", 0)
        ]
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            command = self.commands.get(name)
            if command is not None:
                rows.append((name, command.get_short_help_str(limit)))
            else:
                rows.append((name, make_default_short_help(COMMANDS[name][1], limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup)
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
    click.echo(f"{config_path(config)}: valid ({len(specs)} certificates)")


@main.command()
def schema() -> None:
    """Print the JSON Schema of certificates.yaml, generated from the loader's tables.

    renewer/schema/certificates.schema.json, where editors look, is this output.
    """
    click.echo(config_schema.render(), nl=False)
