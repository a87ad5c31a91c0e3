"""Nudging the consumers of the certificates a run renewed: concurrently, inside a deadline.

A nudge is a courtesy to the consumer, not part of the renewal: the new
version is in the vault whatever happens here, and every consumer picks it up
by itself within its documented time. So a failed nudge is a warning in the
report, never a failed certificate, and one consumer's failure never stops
another's nudge.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from renewer.consumers.arm import ArmClient
from renewer.consumers.nudges import NUDGES, Target
from renewer.core.errors import describe_error
from renewer.core.retry import Deadline
from renewer.core.settings import AzureSettings

log = logging.getLogger(__name__)

CONCURRENCY = 8
NUDGED, FAILED, WAITING, OFF = "nudged", "failed", "waiting", "off"


@dataclass(frozen=True)
class NudgeResult:
    """What became of one consumer of a renewed certificate."""

    certificate: str
    kind: str
    resource: str  # the resource's name ("" for the short form)
    outcome: str  # nudged | failed | waiting (picks it up by itself) | off (nudge: false)
    detail: str
    duration: float = 0.0


@dataclass(frozen=True)
class Renewed:
    """A certificate this run stored, with the version its consumers should take."""

    name: str
    version: str
    consumers: tuple[Any, ...]  # ConsumerSpec
    azure: AzureSettings


def nudge_all(
    renewed: Sequence[Renewed],
    credential_for: Callable[[AzureSettings], Any],
    deadline_seconds: float,
    *,
    enabled: bool = True,
) -> tuple[NudgeResult, ...]:
    """Nudge every consumer that can be nudged; list every other one with why not."""
    results: list[NudgeResult] = []
    work: list[tuple[Target, AzureSettings]] = []
    for cert in renewed:
        for consumer in cert.consumers:
            name = consumer.resource.name if consumer.resource else ""
            pickup = consumer.pickup
            waits = f"picks it up by itself within {span(pickup)}" if pickup else "not known"
            if consumer.resource is None or consumer.kind not in NUDGES:
                results.append(NudgeResult(cert.name, consumer.kind, name, WAITING, waits))
            elif not (enabled and consumer.nudge):
                why = "nudge: false" if enabled else "--no-nudge"
                results.append(NudgeResult(cert.name, consumer.kind, name, OFF, f"{why}; {waits}"))
            else:
                work.append((Target(cert.name, consumer, cert.version), cert.azure))
    if not work:
        return tuple(results)
    clients: dict[AzureSettings, ArmClient] = {}
    try:
        for _, azure in work:
            if azure not in clients:
                clients[azure] = ArmClient(azure, credential_for(azure))
        deadline = Deadline.after(deadline_seconds)
        with ThreadPoolExecutor(min(CONCURRENCY, len(work)), thread_name_prefix="nudge") as pool:
            futures = [pool.submit(_one, clients[a], t, deadline) for t, a in work]
            results.extend(f.result() for f in futures)
    finally:
        for client in clients.values():
            client.close()
    return tuple(results)


def span(delta: timedelta) -> str:
    """4h, 90m: how long a consumer may take, as its documentation says it."""
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}m"


def _one(arm: ArmClient, target: Target, deadline: Deadline) -> NudgeResult:
    consumer = target.consumer
    started = time.monotonic()

    def result(outcome: str, detail: str) -> NudgeResult:
        took = round(time.monotonic() - started, 3)
        return NudgeResult(
            target.certificate, consumer.kind, target.resource.name, outcome, detail, took
        )

    try:
        detail = NUDGES[consumer.kind](arm, target, deadline)
    except Exception as exc:  # a warning: the certificate is renewed either way
        message = describe_error(exc)
        log.warning("%s: nudging %s failed: %s", target.certificate, consumer.describe(), message)
        return result(FAILED, message)
    if detail is None:
        pickup = consumer.pickup
        return result(WAITING, f"picks it up by itself within {span(pickup)}" if pickup else "")
    return result(NUDGED, detail)
