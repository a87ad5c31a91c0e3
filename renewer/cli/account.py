"""``renewer account show``: each CA's account URL, the identity CAA and dns-persist-01 name.

Read from the stores only: no CA is contacted and nothing is registered, so
it is safe on a plan identity and before a first run.
"""

from __future__ import annotations

import json
import sys

import click

from renewer.cli.common import EXIT_FAILED, EXIT_OK, config_option, load_specs
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
    pairs = ((spec.acme, stores.get(spec.store)) for spec in specs)
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
