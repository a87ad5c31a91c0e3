"""``renewer account show`` and ``rollover``: each CA's account URL (the identity CAA and
dns-persist-01 records name), and replacing its key without changing it.

``show`` reads the stores only: no CA is contacted and nothing is registered, so
it is safe on a plan identity and before a first run. ``rollover`` asks the CA
(renewer.execute.rollover) and needs the identity that may write the account.
"""

from __future__ import annotations

import json
import sys

import click

from renewer.cli.common import EXIT_FAILED, EXIT_OK, UsageError, config_option, load_specs
from renewer.cli.main import main
from renewer.core.errors import describe_error
from renewer.execute.accounts import each_account, issued_by
from renewer.stores.registry import StoreRegistry


@main.group()
def account() -> None:
    """The ACME accounts renewer keeps, one per CA and store."""


@account.command("show")
@config_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def show(config: str | None, fmt: str) -> None:
    """Print each CA's account URL and how many stored certificates it issued.

    Exit 1 when a store cannot be read, or holds a CA's certificates without
    its account (the next renew refuses to register a new one: see --new-account).
    """
    specs = load_specs(config)
    stores = StoreRegistry()
    rows: list[dict[str, object]] = []
    bad = False
    pairs = ((acme, stores.get(spec.store)) for spec in specs for acme in spec.issuers)
    for settings, store in each_account(pairs):
        row: dict[str, object] = {"directory": settings.directory, "store": store.describe()}
        try:
            row["account_url"] = store.account_uri(settings.directory)  # metadata, not the key
            row["certificates"] = issued_by(store, settings.directory)
        except Exception as exc:
            row["error"] = describe_error(exc)
            bad = True
        else:
            lost = row["account_url"] is None and row["certificates"]
            bad = bad or bool(lost)
        rows.append(row)
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
    else:
        for row in rows:
            click.echo(_line(row))
    sys.exit(EXIT_FAILED if bad else EXIT_OK)


def _line(row: dict[str, object]) -> str:
    head = f"{row['directory']} ({row['store']}): "
    if "error" in row:
        return head + f"unreadable: {row['error']}"
    url, count = row["account_url"], row["certificates"]
    if url is None and count:
        return head + (
            f"NO ACCOUNT, but {count} certificate(s) it issued are stored: the account was "
            "lost; restore its secret, or renew --new-account"
        )
    if url is None:
        return head + "no account yet (the first renew registers one)"
    return head + f"{url} ({count} certificate(s) issued)"


@account.command("rollover")
@config_option
@click.option(
    "--issuer",
    "issuers",
    multiple=True,
    metavar="DIRECTORY",
    help="Only the account at this CA (a directory URL or alias); default: every account.",
)
def rollover(config: str | None, issuers: tuple[str, ...]) -> None:
    """Replace each ACME account's key (RFC 8555 keyChange); the account URL stays.

    The new key is stored beside the old one before the CA is asked and alone once
    it answered, so an interrupted rollover leaves a working account: the next
    run asks the CA which key it holds. Exit 1 when any account was not rolled
    over (the old key, or the key the CA holds, is kept), 2 on a usage error.
    """
    from renewer.config.directories import resolve_directory
    from renewer.execute.rollover import roll_over
    from renewer.execute.services import Services

    specs = load_specs(config)
    try:
        wanted = {resolve_directory(issuer) for issuer in issuers}
    except ValueError as exc:
        raise UsageError(f"--issuer: {exc}") from None
    with Services() as services:
        pairs = list(
            each_account((a, services.stores.get(s.store)) for s in specs for a in s.issuers)
        )
        chosen = [(s, store) for s, store in pairs if not wanted or s.directory in wanted]
        if not chosen:
            known = ", ".join(sorted({s.directory for s, _ in pairs})) or "none"
            raise UsageError(f"--issuer names no CA of this configuration (its CAs: {known})")
        failed = False
        for settings, store in chosen:
            head = f"{settings.directory} ({store.describe()}): "
            try:
                done = roll_over(services.account(settings, store))
            except Exception as exc:
                failed = True
                click.echo(head + f"NOT rolled over: {describe_error(exc)}")
                continue
            click.echo(
                head + f"{done.account_url} key rolled over "
                f"(thumbprint {done.old_thumbprint} -> {done.new_thumbprint})"
            )
    sys.exit(EXIT_FAILED if failed else EXIT_OK)
