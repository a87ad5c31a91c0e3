"""CAA before any DNS write: a certificate its names' CAA records forbid fails at once.

The CA would refuse it anyway, but only after the TXT records were written,
propagated and validated; a run learns it in seconds instead and says which
record forbids what. The check is advice wherever it cannot be sure: a CAA
lookup that fails, a CA that publishes no ``caaIdentities``, a directory or
account that cannot be reached leave the decision to the CA (the order goes
on and the CA's own answer is reported). Only a record that clearly forbids
this CA, account or method fails the certificate.

Lookups are cached per run (one resolver per propagation setting), so the
plan's advisory pass and the executor's check ask each name once.

With ``dns.manage_caa`` (a provider that ``ManagesCaa``), the records this
certificate needs are added at its zone's apex first, beside the zone's
other CAA records, and the names that set governs are judged by the set as
written (the plan's cached lookup predates it). A write that fails is
logged and the check goes on with what DNS says, so a zone whose CAA already
allows the CA still gets its certificate.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence

from renewer.acme.client import AcmeAccount
from renewer.core.cache import Cache
from renewer.core.errors import RenewerError, describe_error
from renewer.core.models import CertificateSpec, Challenge
from renewer.core.retry import Deadline
from renewer.core.settings import DnsSettings, PropagationSettings
from renewer.dns.caa import CaaLookupError, CaaResolver, CaaSet, ManagesCaa
from renewer.dns.caa_policy import DNS_01, CaaVerdict, evaluate, recommended
from renewer.dns.contract import DnsProvider
from renewer.stores.contract import CertificateStore

log = logging.getLogger(__name__)

ADVICE_DEADLINE = 10.0  # seconds the plan's directory question may take


class CaaForbidden(RenewerError):
    """A CAA record does not allow this CA, account or validation method."""


def methods(spec: CertificateSpec) -> tuple[str, ...]:
    """The validation methods this certificate may use (``validationmethods`` must list one)."""
    if spec.challenge is Challenge.DNS_PERSIST_01:
        return (Challenge.DNS_PERSIST_01.value,)
    if spec.challenge is Challenge.AUTO:
        return (DNS_01, Challenge.DNS_PERSIST_01.value)
    return (DNS_01,)


def identities(
    spec: CertificateSpec,
    account: AcmeAccount,
    deadline: Deadline,
    cancel: threading.Event | None = None,
) -> tuple[str, ...]:
    """The configured CAA identities, else the directory's ``meta.caaIdentities``."""
    if spec.acme.caa_identities:
        return spec.acme.caa_identities
    directory = account.directory(deadline, cancel)
    meta = getattr(directory, "meta", None)
    return tuple(getattr(meta, "caa_identities", None) or ())


class CaaGuard:
    """The run's CAA checks: one resolver (and cache) per propagation setting."""

    def __init__(self, provider_of: Callable[[DnsSettings], DnsProvider] | None = None) -> None:
        self._resolvers: Cache[PropagationSettings, CaaResolver] = Cache()
        self._provider_of = provider_of  # the run's providers, for dns.manage_caa

    def managing(self, spec: CertificateSpec) -> ManagesCaa | None:
        """The provider of ``spec`` when it was asked to manage CAA records, else None."""
        if self._provider_of is None:
            return None
        try:
            provider = self._provider_of(spec.dns)
        except Exception as exc:  # the order itself reports a provider that cannot be built
            log.debug("%s: DNS provider not built: %s", spec.name, describe_error(exc))
            return None
        return provider if isinstance(provider, ManagesCaa) and provider.manages_caa() else None

    def manage(
        self, spec: CertificateSpec, found: Sequence[str], account_url: str | None
    ) -> dict[str, CaaSet]:
        """With dns.manage_caa, add the records ``spec`` needs at its zones' apexes.

        Returns each domain's apex set as written; a domain whose write failed is
        left out (logged): DNS then decides as without management.
        """
        provider = self.managing(spec)
        if provider is None or not found or not account_url:
            return {}
        records = tuple(recommended(name, account_url, methods(spec)) for name in found)
        wildcard = any(domain.startswith("*.") for domain in spec.domains)
        written: dict[str, CaaSet] = {}
        for domain in spec.domains:
            try:
                written[domain] = provider.ensure_caa(domain, records, wildcard)
            except Exception as exc:
                log.warning(
                    "%s: CAA records for %s not written: %s",
                    spec.name,
                    domain,
                    describe_error(exc),
                )
        return written

    def resolver(self, spec: CertificateSpec) -> CaaResolver:
        settings = spec.dns.propagation
        return self._resolvers.get(settings, lambda: CaaResolver(settings))

    def verdicts(
        self,
        spec: CertificateSpec,
        found: Sequence[str],
        account_url: str | None,
        managed: Mapping[str, CaaSet] | None = None,
    ) -> list[CaaVerdict]:
        """One verdict per domain of ``spec`` (lookup failures: allowed None); ``managed``:
        the apex sets just written, which govern the names DNS showed no closer set for."""
        resolver = self.resolver(spec)
        out: list[CaaVerdict] = []
        for domain in spec.domains:
            try:
                relevant = _governed(resolver.relevant(domain), (managed or {}).get(domain))
            except CaaLookupError as exc:
                out.append(CaaVerdict(domain, None, str(exc)))
                continue
            out.append(
                evaluate(
                    relevant,
                    found,
                    account_url,
                    methods(spec),
                    wildcard=domain.startswith("*."),
                )
            )
        return out

    def require(
        self,
        spec: CertificateSpec,
        account: AcmeAccount,
        deadline: Deadline,
        cancel: threading.Event | None = None,
    ) -> None:
        """Raise CaaForbidden when a record forbids ``spec``; anything unsure is logged only."""
        try:
            found = identities(spec, account, deadline, cancel)
            client = account.client(deadline, cancel)
        except Exception as exc:  # the order reports the CA's own failure
            log.debug("%s: CAA not checked: %s", spec.name, describe_error(exc))
            return
        regr = client.net.account
        account_url = regr.uri if regr is not None and regr.uri else None
        managed = self.manage(spec, found, account_url)
        verdicts = self.verdicts(spec, found, account_url, managed)
        refused = [v for v in verdicts if v.allowed is False]
        for verdict in verdicts:
            if verdict.allowed is None:
                log.warning(
                    "%s: CAA for %s not checked: %s", spec.name, verdict.domain, verdict.reason
                )
        if refused:
            raise CaaForbidden(forbidden_message(refused))


def _governed(relevant: CaaSet, apex: CaaSet | None) -> CaaSet:
    """The set that decides for ``relevant.name`` once ``apex`` is published: the apex set,
    unless DNS found a set closer to the name (below the apex), which still decides."""
    if apex is None or apex.owner is None:
        return relevant
    owner = relevant.owner
    if owner is None or owner == apex.owner or apex.owner.endswith("." + owner):
        return CaaSet(relevant.name, apex.owner, apex.records)
    return relevant


def forbidden_message(refused: Iterable[CaaVerdict]) -> str:
    """One line naming CAA, each refused name and the record that refuses it."""
    parts = [f"{v.domain}: {v.reason}" for v in refused]
    return "CAA forbids issuance (nothing was ordered or written): " + " | ".join(parts)


def advise(
    specs: Iterable[CertificateSpec],
    guard: CaaGuard,
    store_of: Callable[[CertificateSpec], CertificateStore],
    account_of: Callable[[CertificateSpec, CertificateStore], AcmeAccount],
) -> list[str]:
    """Advisory lines for a plan: certificates whose CAA records would refuse the order.

    The account URL is the one the store remembers (no CA is contacted for
    it, nothing is registered); the CA's identities come from its directory,
    which the plan has usually fetched already for ARI.
    """
    lines: list[str] = []
    for spec in specs:
        try:
            store = store_of(spec)
            found = identities(spec, account_of(spec, store), Deadline.after(ADVICE_DEADLINE))
        except Exception as exc:
            lines.append(f"{spec.name}: CAA not checked: {describe_error(exc)}")
            continue
        url = account_url_of(store, spec.acme.directory)
        fixes = "dns.manage_caa adds the records" if guard.managing(spec) else "the run fails it"
        for verdict in guard.verdicts(spec, found, url):
            if verdict.allowed is False:
                lines.append(f"{spec.name}: {verdict.domain}: {verdict.reason} ({fixes})")
            elif verdict.allowed is None:
                lines.append(f"{spec.name}: {verdict.domain}: CAA not checked: {verdict.reason}")
    return lines


def account_url_of(store: CertificateStore, directory: str) -> str | None:
    """The account URL the store holds for ``directory`` (None: no account yet).

    Read from the account's metadata (``account_uri``), never its key: the
    identity that plans pull requests may not read secrets.
    """
    try:
        return store.account_uri(directory)
    except Exception as exc:
        log.debug("account of %s not read: %s", directory, describe_error(exc))
        return None
