"""The state a plan starts from: one listing per store and the CA's renewal windows.

A store with thousands of certificates pages its listing in slowly, so the
renewal-info questions start while the listing is still coming in. Advice
only: a CA that does not answer leaves the lifetime rule in charge.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from renewer.core import renewal_window
from renewer.core.adoption import ca_changed
from renewer.core.errors import describe_error
from renewer.core.models import CertificateSpec, RenewalInfo, StoredCertificate
from renewer.core.retry import Deadline
from renewer.core.settings import StoreSettings
from renewer.execute import profiles
from renewer.execute.services import Services

log = logging.getLogger(__name__)

ARI_CONCURRENCY = 16
# Renewal info is advice: a lookup (with the directory fetch it may need) that
# takes longer falls back to the lifetime rule, and a CA that did not answer
# is not asked again in this run (renewer.acme.transport).
ARI_DEADLINE = 10.0


@dataclass(frozen=True)
class State:
    """What the stores hold, what the CA suggests, and what could not be read.

    ``renewal_info`` holds every window the plan uses; ``asked`` names those
    the CA was asked for in this run (the others were remembered in the store
    and still within their Retry-After), which a renewing run writes back.
    ``no_windows`` and ``refused`` come from the CA's directory, read once per
    account: the plan says why, and fails what cannot be ordered before any order.
    """

    stored: Mapping[str, StoredCertificate]
    renewal_info: Mapping[str, RenewalInfo]
    unreadable: Mapping[str, str] = field(default_factory=dict)  # certificate -> error
    asked: frozenset[str] = frozenset()
    # certificates whose CA has no renewalInfo in its directory: the lifetime rule decides
    no_windows: frozenset[str] = frozenset()
    # certificates the CA cannot issue as configured (a profile it does not offer) -> why
    refused: Mapping[str, str] = field(default_factory=dict)


def read_state(
    specs: Collection[CertificateSpec], services: Services, refresh: bool = False
) -> State:
    """One listing per store; renewal-info lookups start as listed certificates arrive.

    A store with thousands of certificates pages its listing in slowly (Key
    Vault: 25 per page, one page after the other), so the CA's renewal windows
    are fetched concurrently while the listing is still coming in. A window
    the store remembers is used without asking until its Retry-After passes
    (``refresh``: ask the CA anyway).
    """
    stored: dict[str, StoredCertificate] = {}
    remembered: dict[str, RenewalInfo] = {}
    unreadable: dict[str, str] = {}
    by_store: dict[StoreSettings, list[CertificateSpec]] = {}
    for spec in specs:
        by_store.setdefault(spec.store, []).append(spec)
    by_name = {spec.name.lower(): spec for spec in specs}
    now = datetime.now(UTC)
    with ThreadPoolExecutor(ARI_CONCURRENCY, thread_name_prefix="ari") as pool:
        lookups: dict[str, Future[Lookup]] = {}
        for group in by_store.values():
            listed: list[str] = []
            try:
                store = services.stores.get(group[0].store)
                for current in store.iter_current():
                    wanted = by_name.get(current.name.lower())
                    if wanted is not None and wanted.adopt and not current.managed:
                        # To be adopted: one GET for the leaf (names, key type), so the plan
                        # can say what the adoption changes. Only during a migration.
                        current = store.current(current.name) or current
                    stored[current.name] = current
                    listed.append(current.name)
                    if wanted is None or not _ari_applies(wanted, current, now):
                        continue
                    known = current.renewal_info
                    if known is not None and not refresh and renewal_window.fresh(known, now):
                        remembered[wanted.name] = known
                    else:
                        lookups[wanted.name] = pool.submit(_lookup, wanted, current, services)
            except Exception as exc:
                for spec in group:
                    unreadable[spec.name] = describe_error(exc)
                for name in listed:
                    stored.pop(name, None)
                continue
        readable = [spec for spec in specs if spec.name not in unreadable]
        offers = profiles.offered(readable, services, pool, ARI_DEADLINE)
        found = {name: future.result() for name, future in lookups.items()}
    asked = {name: got.info for name, got in found.items() if got.info is not None}
    renewal_info = {
        name: info for name, info in {**remembered, **asked}.items() if name not in unreadable
    }
    no_windows = {name for name, got in found.items() if not got.offered}
    _note(remembered, found, {spec.name: spec for spec in specs})
    return State(
        stored,
        renewal_info,
        unreadable,
        frozenset(asked) - set(unreadable),
        frozenset(no_windows) - set(unreadable),
        profiles.refusals(readable, offers),
    )


def _note(
    remembered: Mapping[str, RenewalInfo],
    found: Mapping[str, Lookup],
    specs: Mapping[str, CertificateSpec],
) -> None:
    """The run's one line on renewal info, and one per CA that offers none.

    "asked of the CA" counts the questions really sent: a CA without
    renewalInfo in its directory is not asked, whatever the certificate count.
    """
    if remembered or found:
        log.info(
            "renewal info: %d remembered in the store, %d asked of the CA",
            len(remembered),
            sum(got.sent for got in found.values()),
        )
    without: dict[str, int] = {}
    for name, got in found.items():
        if not got.offered:
            directory = specs[name].acme.directory
            without[directory] = without.get(directory, 0) + 1
    for directory, count in without.items():
        log.info(
            "the CA at %s offers no renewal windows (no renewalInfo in its directory): "
            "the lifetime rule decides for %d certificate(s)",
            directory,
            count,
        )


def _ari_applies(spec: CertificateSpec, current: StoredCertificate, now: datetime) -> bool:
    """ARI is asked for live certificates a listed CA issued and that carry an ARI id.

    A certificate to be adopted counts when the tool that issued it recorded the
    config's CA host (acmebot's endpoint tag).
    """
    adopted = (
        spec.adopt
        and not current.managed
        and current.foreign is not None
        and not ca_changed(spec, current)
    )
    return bool(
        current.ari_cert_id
        and not current.damage
        and (spec.issuer_of(current) is not None or adopted)
        and current.not_after > now
    )


@dataclass(frozen=True)
class Lookup:
    """One certificate's renewal-info question: the answer, and whether it was asked.

    ``offered`` False: the CA's directory has no renewalInfo (nothing was sent);
    ``sent``: a request left for the CA (a failed one too).
    """

    info: RenewalInfo | None
    offered: bool = True
    sent: bool = False


def _lookup(spec: CertificateSpec, current: StoredCertificate, services: Services) -> Lookup:
    deadline = Deadline.after(ARI_DEADLINE)
    asking = False  # past the directory: the question itself goes out
    try:
        store = services.stores.get(spec.store)
        # Asked of the CA that issued it (a fallback CA's certificate is unknown to the first).
        account = services.account(spec.issuer_of(current) or spec.acme, store)
        if not account.offers_renewal_info(deadline):
            return Lookup(None, offered=False)
        asking = True
        return Lookup(account.renewal_info(str(current.ari_cert_id), deadline), sent=True)
    except Exception as exc:  # ARI is advice: fall back to the lifetime rule
        log.warning("%s: %s; using the lifetime rule", spec.name, describe_error(exc))
        return Lookup(None, sent=asking)
