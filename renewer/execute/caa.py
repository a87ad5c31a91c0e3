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
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence

from renewer.acme.client import AcmeAccount
from renewer.core.cache import Cache
from renewer.core.errors import RenewerError, describe_error
from renewer.core.models import CertificateSpec, Challenge
from renewer.core.retry import Deadline
from renewer.core.settings import PropagationSettings
from renewer.dns.caa import CaaLookupError, CaaResolver
from renewer.dns.caa_policy import DNS_01, CaaVerdict, evaluate
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

    def __init__(self) -> None:
        self._resolvers: Cache[PropagationSettings, CaaResolver] = Cache()

    def resolver(self, spec: CertificateSpec) -> CaaResolver:
        settings = spec.dns.propagation
        return self._resolvers.get(settings, lambda: CaaResolver(settings))

    def verdicts(
        self, spec: CertificateSpec, found: Sequence[str], account_url: str | None
    ) -> list[CaaVerdict]:
        """One verdict per domain of ``spec`` (lookup failures: allowed None)."""
        resolver = self.resolver(spec)
        out: list[CaaVerdict] = []
        for domain in spec.domains:
            try:
                relevant = resolver.relevant(domain)
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
        verdicts = self.verdicts(spec, found, account_url)
        refused = [v for v in verdicts if v.allowed is False]
        for verdict in verdicts:
            if verdict.allowed is None:
                log.warning(
                    "%s: CAA for %s not checked: %s", spec.name, verdict.domain, verdict.reason
                )
        if refused:
            raise CaaForbidden(forbidden_message(refused))


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
        for verdict in guard.verdicts(spec, found, url):
            if verdict.allowed is False:
                lines.append(f"{spec.name}: {verdict.domain}: {verdict.reason} (the run fails it)")
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
