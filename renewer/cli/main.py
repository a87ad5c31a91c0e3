"""The ``renewer`` command group; each command lives in the module of its use case.

Commands are loaded on first use: ``renewer --help`` and ``renewer validate``
used to import every command's module, and with them the ACME, Azure and DNS
libraries (half a second of a one-certificate run). :data:`COMMANDS` names the
module that defines each command (with ``@main.command``) and its one-line
help, shown by ``renewer --help`` without importing it; a test keeps those
lines equal to the commands' own. A new command is one line here.
"""

from __future__ import annotations

import gc
import importlib
import logging
from typing import Any

import click

from renewer.cli.common import (
    EXIT_FAILED,
    config_option,
    config_path,
    load_specs,
    setup_logging,
    warn,
)
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
    "adopt": (
        "renewer.cli.adopt",
        "Take over certificates another tool issued (keyvault-acmebot): tags only.",
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
    "azure": ("renewer.cli.azure", "Azure helpers derived from certificates.yaml."),
    "doctor": (
        "renewer.cli.doctor",
        "Check sign-in, vaults, DNS zones and CAs; exit 0 all good, 1 any failed, 2 config.",
    ),
    "account": ("renewer.cli.account", "The ACME accounts renewer keeps, one per CA and store."),
    "caa": (
        "renewer.cli.caa",
        "Print the CAA records that allow only this CA, account and dns-01, per zone.",
    ),
    "init": (
        "renewer.cli.init",
        "Write certificates.yaml and the plan/renew/validate workflows, pinned to a release.",
    ),
}


class LazyGroup(GuardedGroup):
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
                # click's own shortening (its make_default_short_help is deprecated in 8.5)
                stub = click.Command(name, help=COMMANDS[name][1])
                rows.append((name, stub.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """click's --version (same words), reading the version only when asked."""
    if not value or ctx.resilient_parsing:
        return
    import renewer

    click.echo(f"renewer, version {renewer.__version__}")
    ctx.exit()


@click.group(cls=LazyGroup)
@click.option("-v", "--verbose", count=True, help="-v INFO, -vv DEBUG (secrets never logged).")
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_show_version,
    help="Show the version and exit.",
)
def main(verbose: int) -> None:
    """Certificates as code: ACME DNS-01 certificates into Azure Key Vault."""
    _imports_done()
    setup_logging(verbose)
    # Before any DNS provider, plugin, notifier or child process can read them.
    from renewer.core import oidc_request

    oidc_request.take()


@main.command()
@config_option
def validate(config: str | None) -> None:
    """Check certificates.yaml; exit 0 if valid, 2 with FILE:LINE:COL messages if not."""
    from renewer.config.consumers import consumer_warnings

    specs = load_specs(config)
    for line in consumer_warnings(specs):
        warn(line, "certificates.yaml")
    click.echo(f"{config_path(config)}: valid ({len(specs)} certificates)")


@main.command()
def schema() -> None:
    """Print the JSON Schema of certificates.yaml, generated from the loader's tables.

    renewer/schema/certificates.schema.json, where editors look, is this output.
    """
    from renewer.config.schema import render

    click.echo(render(), nl=False)


_PAUSED = {"gc": False}  # run() paused the collector for the imports


def run() -> None:
    """The process entry point (console script, ``python -m renewer``): :data:`main`.

    Why the collector is tuned: a run imports its libraries once (acme,
    cryptography, requests, dnspython: a few hundred thousand objects that live
    until exit), and the cyclic collector walks them again and again while they
    load and once in full at exit, tens of ms of a one-certificate run (issue
    17). So collection waits until the command's modules are imported (click
    calls the group callback after it resolves the command), what is alive then
    is frozen out of later collections, and at exit everything is frozen so the
    interpreter's last collection skips it. Tests call :data:`main` itself and
    keep the default collector.
    """
    gc.disable()
    _PAUSED["gc"] = True
    try:
        main()
    finally:
        gc.freeze()


def _imports_done() -> None:
    """Resume the collector that :func:`run` paused, with the start-up objects frozen."""
    if _PAUSED["gc"]:
        _PAUSED["gc"] = False
        gc.freeze()
        gc.enable()
