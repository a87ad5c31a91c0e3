"""The CAA records to publish per zone: this CA, this account, dns-01 only (RFC 8657).

A record at the registered domain covers every name below it (RFC 8659 tree
climbing), so one ``issue`` record per zone and CA account is enough. The
account URL is the one the store keeps; without one yet the record omits
``accounturi`` and says so (run ``renew`` once, then publish it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from renewer.acme.client import AcmeAccount
from renewer.core.models import CertificateSpec
from renewer.core.retry import Deadline
from renewer.dns.caa import CaaRecord
from renewer.dns.caa_policy import recommended
from renewer.execute.caa import ADVICE_DEADLINE, account_url_of, identities, methods
from renewer.plan.budget import registered_domain
from renewer.stores.contract import CertificateStore


@dataclass(frozen=True)
class ZoneRecords:
    zone: str  # with a trailing dot
    directory: str
    account_url: str | None
    records: tuple[CaaRecord, ...]
    note: str = ""


def recommend(
    specs: Iterable[CertificateSpec],
    store_of: Callable[[CertificateSpec], CertificateStore],
    account_of: Callable[[CertificateSpec, CertificateStore], AcmeAccount],
) -> list[ZoneRecords]:
    """One entry per (zone, CA account), in config order."""
    found: dict[tuple[str, str, str], ZoneRecords] = {}
    for spec in specs:
        store = store_of(spec)
        url = account_url_of(store, spec.acme.directory)
        names = identities(spec, account_of(spec, store), Deadline.after(ADVICE_DEADLINE))
        note = "" if url else "no account yet: run renew once, then add accounturi"
        if not names:
            note = "the CA publishes no caaIdentities: set acme.caa_identities"
        for domain in spec.domains:
            zone = registered_domain(domain) + "."
            key = (zone, spec.acme.directory, store.describe())
            if key in found:
                continue
            records = tuple(recommended(name, url, methods(spec)) for name in names)
            found[key] = ZoneRecords(zone, spec.acme.directory, url, records, note)
    return list(found.values())
