"""The verify use case: which certificates, their store versions, probe, judge.

Called by ``renewer verify`` and, after its work, by ``renewer renew`` for the
certificates it handled. One certificate's unreadable store becomes findings
for its endpoints; it never stops the others.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from renewer.core.errors import describe_error
from renewer.core.models import CertificateSpec
from renewer.plan.planner import select
from renewer.stores.registry import StoreRegistry
from renewer.verify.judge import judge
from renewer.verify.model import Finding, StoreView, VerifyReport
from renewer.verify.probe import DEFAULT_SETTINGS, ProbeSettings, Resolver, probe_all, resolve

STORE_CONCURRENCY = 8


def with_endpoints(
    specs: Iterable[CertificateSpec], only: Collection[str] = ()
) -> tuple[CertificateSpec, ...]:
    """The ``--only`` selection (unknown names raise UnknownCertificate) that has endpoints."""
    return tuple(s for s in select(specs, only) if s.endpoints)


def verify(
    specs: Iterable[CertificateSpec],
    stores: StoreRegistry,
    *,
    now: datetime | None = None,
    settings: ProbeSettings = DEFAULT_SETTINGS,
    resolver: Resolver = resolve,
) -> VerifyReport:
    """Probe every endpoint of ``specs`` and judge each address against its store."""
    chosen = [s for s in specs if s.endpoints]
    with ThreadPoolExecutor(STORE_CONCURRENCY, thread_name_prefix="verify-store") as pool:
        views = list(pool.map(lambda spec: _view(spec, stores), chosen))
    endpoints = [(spec, endpoint) for spec in chosen for endpoint in spec.endpoints]
    probes = probe_all([e for _, e in endpoints], settings, resolver)
    moment = now or datetime.now(UTC)
    view_of = {spec.name: view for spec, view in zip(chosen, views, strict=True)}
    findings: list[Finding] = []
    for (spec, _endpoint), addresses in zip(endpoints, probes, strict=True):
        for probe in addresses:
            findings.append(judge(spec.name, probe, view_of[spec.name], spec.grace, moment))
    return VerifyReport(generated_at=moment, findings=tuple(findings))


def _view(spec: CertificateSpec, stores: StoreRegistry) -> StoreView:
    try:
        return StoreView(versions=stores.get(spec.store).versions(spec.name))
    except Exception as exc:  # one store's failure never stops the others
        return StoreView(error=describe_error(exc))
