"""Run links from the GitHub Actions environment, and target URLs resolved late."""

from __future__ import annotations

import os
from collections.abc import Mapping

from renewer.config.domains import safe_for_credentials
from renewer.core.errors import RenewerError
from renewer.core.settings import SecretRef
from renewer.notify.contract import DeliveryError
from renewer.notify.event import Links


def from_environment(
    environ: Mapping[str, str] | None = None, tracking_url: str | None = None
) -> Links:
    """The run's URL (GITHUB_SERVER_URL/GITHUB_REPOSITORY/actions/runs/GITHUB_RUN_ID)."""
    env = os.environ if environ is None else environ
    repository = env.get("GITHUB_REPOSITORY") or None
    run_id = env.get("GITHUB_RUN_ID")
    server = (env.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/")
    run_url = f"{server}/{repository}/actions/runs/{run_id}" if repository and run_id else None
    return Links(run_url=run_url, tracking_url=tracking_url, repository=repository)


def resolve_url(url: SecretRef | str) -> str:
    """A target's URL, read from the environment only now (and masked in logs)."""
    if not isinstance(url, SecretRef):
        return url  # a literal URL, checked at validate
    try:
        value = url.resolve()
    except RenewerError as exc:
        raise DeliveryError(str(exc)) from None
    if not safe_for_credentials(value):  # validate checked it only if it was set there
        raise DeliveryError(
            f"the URL in {url} is not an https:// URL (http:// only for loopback): not sent"
        )
    return value
