"""``renewer init``: start a repository that manages its certificates with renewer."""

from __future__ import annotations

from pathlib import Path

import click

from renewer import __version__
from renewer.cli.common import UsageError
from renewer.cli.main import main
from renewer.scaffold import init as scaffold


def _default_tag() -> str | None:
    tag = f"v{__version__}"
    return tag if scaffold.TAG.fullmatch(tag) else None


@main.command("init")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="The repository to write into.",
)
@click.option("--action", required=True, help="The published action, OWNER/NAME.")
@click.option("--ref", "tag", default=None, help="Release tag vX.Y.Z (default: this version).")
@click.option(
    "--sha",
    default=None,
    help="The tag's commit; default: looked up with git ls-remote on --remote.",
)
@click.option("--remote", default=None, help="Git URL of --action (default: its GitHub URL).")
def init(
    directory: Path, action: str, tag: str | None, sha: str | None, remote: str | None
) -> None:
    """Write certificates.yaml and the plan/renew/validate workflows, pinned to a release.

    Refuses to overwrite: if any of the files exists, nothing is written.
    """
    tag = tag or _default_tag()
    if tag is None:
        raise UsageError(f"renewer {__version__} is not a release: pass --ref vX.Y.Z")
    try:
        if sha is None:
            sha = scaffold.resolve_tag(remote or f"https://github.com/{action}", tag)
        pin = scaffold.Pin(action=action, tag=tag, sha=sha)
        written = scaffold.write(directory, scaffold.render(pin))
    except scaffold.ScaffoldError as error:
        raise UsageError(str(error)) from None
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(f"action pinned: uses: {pin.uses}")
