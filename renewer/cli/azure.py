"""``renewer azure setup``: print the least-privilege Azure setup for the inventory."""

from __future__ import annotations

import os

import click

from renewer.cli.common import UsageError, config_option, load_specs, write
from renewer.cli.main import main
from renewer.config.names import check_repository
from renewer.publish.github_api import GitHubClient, GitHubError, GitHubUnavailable
from renewer.scaffold import azure_setup, consumer_setup


@main.group("azure")
def azure_group() -> None:
    """Azure helpers derived from certificates.yaml."""


def _repo_ids(repo: str) -> azure_setup.RepoIds | None:
    """The repository's immutable ids from the GitHub API, if GITHUB_TOKEN is set."""
    token = os.environ.get("GITHUB_TOKEN", "").strip()
    if not token:
        return None
    api_url = os.environ.get("GITHUB_API_URL", "").strip() or "https://api.github.com"
    client = GitHubClient(token, repo, api_url)
    try:
        data = client.get(client.repo_path())
    except (GitHubError, GitHubUnavailable) as error:
        raise UsageError(f"GitHub API: cannot read {repo}: {error}") from None
    return azure_setup.RepoIds(owner_id=int(data["owner"]["id"]), repository_id=int(data["id"]))


@azure_group.command("setup")
@config_option
@click.option(
    "--repo",
    default=None,
    help="GitHub OWNER/REPO that runs renewer (default: $GITHUB_REPOSITORY).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["az"]),
    default="az",
    show_default=True,
    help="az: an idempotent bash script of Azure CLI commands.",
)
@click.option("--subscription", default=None, help="Subscription for the identities.")
@click.option("--resource-group", default="renewer", show_default=True)
@click.option("--location", default="westeurope", show_default=True)
@click.option("-o", "--output", default=None, help="Write to a file instead of stdout.")
def setup(
    config: str | None,
    repo: str | None,
    fmt: str,
    subscription: str | None,
    resource_group: str,
    location: str,
    output: str | None,
) -> None:
    """The identities, federated credentials and roles the inventory needs, least privilege.

    With GITHUB_TOKEN set, the immutable GitHub subjects use the repository's numeric ids
    from the GitHub API; otherwise they carry placeholders the script refuses to run with.
    """
    repo = repo or os.environ.get("GITHUB_REPOSITORY", "").strip()
    try:
        repo = check_repository(repo or "")
    except ValueError:
        raise UsageError(f"--repo {repo!r}: expected OWNER/REPO") from None
    try:
        specs = load_specs(config)
        inv = azure_setup.inventory(specs)
        if not inv.vaults and not inv.dns:
            raise UsageError(
                "the inventory uses no Key Vault store and no Azure DNS: nothing to set"
            )
        subscription = subscription or (inv.dns[0].subscription_id if inv.dns else None)
        if not subscription:
            raise UsageError("pass --subscription: the inventory names no Azure DNS subscription")
        azure_setup.check_parameters(repo, subscription, resource_group, location)
        script = azure_setup.az_script(
            inv,
            repo,
            _repo_ids(repo),
            subscription=subscription,
            resource_group=resource_group,
            location=location,
            consumers=consumer_setup.az_lines(specs),
        )
    except azure_setup.SetupError as error:
        raise UsageError(str(error)) from None
    write(script, output)
