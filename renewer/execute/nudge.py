"""After execute, before verify: ask the consumers of each renewed certificate to pick it up.

Consumers (App Gateway, VM extensions, ...) pick a new version up by themselves
within their documented time; a nudge makes it now. It never fails the run: a
certificate whose new version cannot be read back is listed with its consumers
as failed nudges (renewer/consumers/run.py does the nudging).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from renewer.core.errors import describe_error
from renewer.core.models import ActionKind, Outcome, Plan, Result
from renewer.execute.services import Services

if TYPE_CHECKING:  # consumers.run imports azure-core: loaded when a run nudges
    from renewer.consumers.run import NudgeResult


def nudge(
    plan: Plan,
    results: Sequence[Result],
    services: Services,
    deadline: float,
    enabled: bool = True,
) -> tuple[NudgeResult, ...]:
    """After execute, before verify: ask the consumers of each certificate stored now to
    pick the new version up (renewer/consumers/run.py). Never fails the run: a certificate
    whose new version cannot be read back is listed with its consumers as failed nudges."""
    from renewer.azure.signin import azure_credential  # the Azure stack, only when used
    from renewer.config.types.store_keyvault import KeyVaultSettings
    from renewer.consumers.run import FAILED, NudgeResult, Renewed, nudge_all

    specs = {action.name: action.spec for action in plan.actions}
    renewed: list[Renewed] = []
    unread: list[NudgeResult] = []
    for result in results:
        spec = specs.get(result.name)
        if (
            spec is None
            or not spec.consumers
            or result.outcome is not Outcome.SUCCEEDED
            or result.action is ActionKind.SKIP
            or not isinstance(spec.store.backend, KeyVaultSettings)
        ):
            continue
        try:
            current = services.stores.get(spec.store).current(spec.name)
        except Exception as exc:
            why = f"the new version could not be read back: {describe_error(exc)}"
            unread += [
                NudgeResult(spec.name, c.kind, c.resource.name if c.resource else "", FAILED, why)
                for c in spec.consumers
            ]
            continue
        version = (current.version if current else None) or ""
        renewed.append(Renewed(spec.name, version, spec.consumers, spec.store.backend.azure))
    return tuple(unread) + nudge_all(renewed, azure_credential, deadline, enabled=enabled)
