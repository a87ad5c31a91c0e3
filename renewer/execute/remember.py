"""Writing back the renewal windows a run asked the CA for, where it renewed nothing.

A renewed certificate carries the window asked at issuance; a certificate left
alone would otherwise be asked about again by every run once its remembered
Retry-After had passed, and only the runs that write (``renew``, never ``plan``
or ``--dry-run``) may change the store. An unchanged window is rewritten only
when runs come more often than its Retry-After (``renewal_window.worth_writing``).
A failed write costs the next run one question to the CA, so it is a warning
and never a failed certificate.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from renewer.core import renewal_window
from renewer.core.errors import describe_error
from renewer.core.models import ActionKind, Plan, RenewalInfo, StoredCertificate
from renewer.execute.services import Services
from renewer.stores.contract import CertificateStore, RemembersRenewalInfo

log = logging.getLogger(__name__)

WRITERS = 8  # concurrent tag writes (Key Vault: one PATCH each)


@dataclass(frozen=True)
class Remembered:
    """How the write-back went: kept, no room for it (all tags taken), failed."""

    kept: int = 0
    no_room: int = 0
    failed: int = 0


def remember_windows(
    plan: Plan, asked: Mapping[str, RenewalInfo], services: Services
) -> Remembered:
    """Write each asked window of a skipped certificate into its store; never raises."""
    jobs: list[tuple[RemembersRenewalInfo, StoredCertificate, RenewalInfo]] = []
    for action in plan.actions:
        info = asked.get(action.name)
        if action.kind is not ActionKind.SKIP or action.stored is None or info is None:
            continue
        if not renewal_window.worth_writing(action.stored.renewal_info, info):
            continue
        store: CertificateStore = services.stores.get(action.spec.store)  # listed: it opens
        if isinstance(store, RemembersRenewalInfo):
            jobs.append((store, action.stored, info))
    if not jobs:
        return Remembered()
    with ThreadPoolExecutor(min(WRITERS, len(jobs)), thread_name_prefix="window") as pool:
        outcomes = list(pool.map(_write, jobs))
    done = Remembered(
        kept=outcomes.count("kept"),
        no_room=outcomes.count("no room"),
        failed=sum(1 for o in outcomes if o not in ("kept", "no room")),
    )
    errors = [o for o in outcomes if o not in ("kept", "no room")]
    if errors:
        log.warning(
            "%d renewal windows not remembered (first: %s); the next run asks the CA again",
            done.failed,
            errors[0],
        )
    if done.no_room:
        log.info("%d certificates have no room left for the renewal window", done.no_room)
    log.info("renewal info: %d windows remembered for the next runs", done.kept)
    return done


def _write(job: tuple[RemembersRenewalInfo, StoredCertificate, RenewalInfo]) -> str:
    store, stored, info = job
    try:
        return "kept" if store.remember_renewal_info(stored, info) else "no room"
    except Exception as exc:
        return f"{stored.name}: {describe_error(exc)}"
