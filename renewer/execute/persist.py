"""dns-persist-01: read and write standing records (the I/O around persist_record).

Three callers:
- ``renewer plan`` calls :func:`gather` before rendering: for every
  certificate using dns-persist-01 or auto, what each authoritative server
  shows at ``_validation-persist.<domain>``, the verdict, and the exact value
  to create. Plain data goes to the renderers; the planner stays pure.
- ``renewer persist`` calls :func:`setup`: writes the values through the
  configured DNS provider, idempotently, adding only our value and removing
  stale values only with ``prune``.
- the order (renewer.execute.order) calls :func:`check_standing` to choose, per
  identifier, between dns-persist-01 and dns-01 (auto), or to explain why a
  dns-persist-01 authorization cannot succeed before asking the CA.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from acme import messages

from renewer.acme.client import AcmeAccount, AcmeFailure, problem_text
from renewer.acme.persist01 import DNSPersist01
from renewer.core.errors import describe_error
from renewer.core.models import CertificateSpec, Challenge
from renewer.dns.persist.record import (
    CertificateStatus,
    DomainStatus,
    Judgement,
    ServerView,
    Verdict,
    choose,
    format_value,
    judge,
    record_name,
)
from renewer.dns.propagation import PropagationChecker, read_txt
from renewer.execute.services import Services

log = logging.getLogger(__name__)

PERSIST_CHALLENGES = (Challenge.DNS_PERSIST_01, Challenge.AUTO)
CONCURRENCY = 16
ACCOUNT_PLACEHOLDER = "<account URL: run `renewer persist` once>"


def uses_persist(spec: CertificateSpec) -> bool:
    return spec.challenge in PERSIST_CHALLENGES


def persist_until(spec: CertificateSpec, now: datetime) -> datetime | None:
    """The persistUntil to write: the configured date, or now + the configured duration."""
    if isinstance(spec.persist_until, timedelta):
        return (now + spec.persist_until).replace(microsecond=0)
    return spec.persist_until


def records_of(spec: CertificateSpec) -> dict[str, tuple[str, bool]]:
    """Record name -> (domain shown, needs policy=wildcard), in domain order."""
    found: dict[str, tuple[str, bool]] = {}
    for domain in spec.domains:
        name = record_name(domain)
        shown, wild = found.get(name, (domain.removeprefix("*."), False))
        found[name] = (shown, wild or domain.startswith("*."))
    return found


# -- reading -----------------------------------------------------------------------
def issuer_names(account: AcmeAccount) -> tuple[str, ...]:
    """The CA's issuer domain names as its directory lists them (``meta.caaIdentities``)."""
    meta = getattr(account.directory(), "meta", None)
    return tuple(getattr(meta, "caa_identities", None) or ())


def stored_account_uri(account: AcmeAccount) -> str | None:
    """Our account URL from the store, without contacting the CA (plans register nothing).

    Never the account record itself: the plan identity may read metadata only.
    """
    return account.store.account_uri(account.settings.directory)


def read_record(checker: PropagationChecker, name: str) -> tuple[ServerView, ...]:
    return tuple(
        ServerView(str(server), tuple(sorted(values or ())), error)
        for server, values, error in read_txt(checker, name)
    )


def judge_servers(
    views: Sequence[ServerView],
    issuers: Sequence[str],
    accounturi: str,
    wildcard: bool,
    now: datetime,
) -> Judgement:
    """Valid only if every authoritative server shows an authorising value."""
    if not views:
        return Judgement(Verdict.UNKNOWN, "no authoritative server found")
    verdicts = []
    for view in views:
        if view.error is not None:
            return Judgement(Verdict.UNKNOWN, f"{view.server} did not answer ({view.error})")
        verdicts.append((view.server, judge(view.values, issuers, accounturi, wildcard, now)))
    failing = [(s, j) for s, j in verdicts if j.verdict not in (Verdict.VALID, Verdict.EXPIRING)]
    if failing:
        server, worst = failing[0]
        where = "" if len(failing) == len(verdicts) else f" at {server}"
        return Judgement(worst.verdict, worst.reason + where)
    expiring = [j for _, j in verdicts if j.verdict is Verdict.EXPIRING]
    return expiring[0] if expiring else verdicts[0][1]


def check_standing(
    checker: PropagationChecker,
    domain: str,
    issuers: Sequence[str],
    accounturi: str,
    wildcard: bool,
    now: datetime | None = None,
) -> Judgement:
    """The verdict on ``_validation-persist.<domain>`` as every authoritative server shows it."""
    try:
        views = read_record(checker, record_name(domain))
    except Exception as exc:
        return Judgement(Verdict.UNKNOWN, describe_error(exc))
    return judge_servers(views, issuers, accounturi, wildcard, now or datetime.now(UTC))


def _status(spec: CertificateSpec, services: Services, now: datetime) -> CertificateStatus:
    try:
        store = services.stores.get(spec.store)
        account = services.account(spec.acme, store)
        issuers = issuer_names(account)
        accounturi = stored_account_uri(account)
    except Exception as exc:
        return CertificateStatus(spec.name, spec.challenge, error=describe_error(exc))
    checker = PropagationChecker(spec.dns.propagation)
    until = persist_until(spec, now)
    domains = []
    for name, (domain, wildcard) in records_of(spec).items():
        expected = None
        if issuers:
            expected = format_value(issuers[0], accounturi or ACCOUNT_PLACEHOLDER, wildcard, until)
        views: tuple[ServerView, ...] = ()
        try:
            views = read_record(checker, name)
        except Exception as exc:
            verdict = Judgement(Verdict.UNKNOWN, describe_error(exc))
        else:
            if accounturi is None:
                verdict = Judgement(Verdict.UNKNOWN, "no ACME account yet")
            elif not issuers:
                verdict = Judgement(Verdict.UNKNOWN, "the CA lists no issuer domain names")
            else:
                verdict = judge_servers(views, issuers, accounturi, wildcard, now)
        domains.append(
            DomainStatus(
                spec.name,
                domain,
                name,
                wildcard,
                verdict.verdict,
                verdict.reason,
                expected,
                until,
                views,
            )
        )
    offered = bool(issuers)  # a CA without caaIdentities: assume no dns-persist-01
    uses, why = choose(spec.challenge, domains, offered)
    return CertificateStatus(spec.name, spec.challenge, tuple(domains), uses, why)


def gather(
    specs: Collection[CertificateSpec], services: Services, now: datetime | None = None
) -> tuple[CertificateStatus, ...]:
    """Standing-record state of every spec using dns-persist-01 or auto (config order)."""
    wanted = [s for s in specs if uses_persist(s)]
    if not wanted:
        return ()
    moment = now or datetime.now(UTC)
    with ThreadPoolExecutor(min(CONCURRENCY, len(wanted))) as pool:
        return tuple(pool.map(lambda s: _status(s, services, moment), wanted))


# -- writing (renewer persist) ------------------------------------------------------
@dataclass(frozen=True)
class Change:
    """One line of ``renewer persist`` output."""

    certificate: str
    record: str
    action: str  # added | unchanged | removed | stale | would-add | would-remove | failed
    value: str = ""
    detail: str = ""


@dataclass
class SetupResult:
    changes: list[Change] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(c.action == "failed" for c in self.changes)


def _probe(account: AcmeAccount, domain: str) -> tuple[tuple[str, ...], str | None] | None:
    """Issuer names and accounturi from a real dns-persist-01 challenge of the CA.

    Opens an order for one identifier, reads its challenge and deactivates the
    pending authorization again, so nothing is left half done at the CA.

    None when the CA answered with an authorization it reused (already valid,
    e.g. from a recent dns-01 issuance): such an authorization lists only the
    challenge that validated it, so it says nothing about dns-persist-01.
    """
    acme = account.client()
    order = messages.NewOrder(
        identifiers=[messages.Identifier(typ=messages.IDENTIFIER_FQDN, value=domain)]
    )
    reused = False
    try:
        response = acme.post(acme.directory["newOrder"], order)
        body = messages.Order.from_json(response.json())
        for url in body.authorizations:
            authzr = acme.authorization(acme.post_as_get(url), url)
            found = next(
                (c.chall for c in authzr.body.challenges if isinstance(c.chall, DNSPersist01)),
                None,
            )
            if authzr.body.status == messages.STATUS_PENDING:
                try:
                    acme.deactivate_authorization(authzr)
                except messages.Error as error:
                    log.debug("could not deactivate %s: %s", url, problem_text(error))
            elif authzr.body.status == messages.STATUS_VALID:
                reused = True
            if found is not None:
                return tuple(found.issuer_domain_names), found.accounturi
    except messages.Error as error:
        raise AcmeFailure(f"probe order refused: {problem_text(error)}", error.code) from None
    return None if reused else ((), None)


def setup(
    specs: Collection[CertificateSpec],
    services: Services,
    dry_run: bool = False,
    prune: bool = False,
    now: datetime | None = None,
) -> SetupResult:
    """Write the standing record of every spec given; idempotent, one Change per step."""
    moment = now or datetime.now(UTC)
    result = SetupResult()
    lock = threading.Lock()
    probed: dict[str, tuple[tuple[str, ...], str]] = {}

    def account_facts(spec: CertificateSpec) -> tuple[tuple[str, ...], str]:
        store = services.stores.get(spec.store)
        account = services.account(spec.acme, store)
        key = f"{spec.acme.directory}|{store.describe()}"
        with lock:
            if key not in probed:
                if dry_run:
                    uri = stored_account_uri(account) or ACCOUNT_PLACEHOLDER
                    probed[key] = (issuer_names(account), uri)
                else:
                    regr = account.client().net.account
                    uri = regr.uri if regr is not None else ACCOUNT_PLACEHOLDER
                    domain = spec.domains[0].removeprefix("*.")
                    probe = _probe(account, domain)
                    if probe is None:  # a reused authorization: the directory names them
                        issuers, chall_uri = issuer_names(account), None
                        if not issuers:
                            raise AcmeFailure(
                                f"the CA at {spec.acme.directory} reused a valid authorization "
                                f"for {domain} and its directory lists no caaIdentities, so "
                                "its dns-persist-01 issuer names are unknown"
                            )
                    else:
                        issuers, chall_uri = probe
                    if not issuers:
                        raise AcmeFailure(
                            f"the CA at {spec.acme.directory} offers no dns-persist-01 challenge"
                        )
                    probed[key] = (issuers, chall_uri or uri)
            return probed[key]

    for spec in specs:
        try:
            issuers, accounturi = account_facts(spec)
        except Exception as exc:
            result.changes.append(Change(spec.name, "", "failed", detail=describe_error(exc)))
            continue
        result.changes.extend(
            _setup_one(spec, services, issuers, accounturi, moment, dry_run, prune)
        )
    return result


def _setup_one(
    spec: CertificateSpec,
    services: Services,
    issuers: tuple[str, ...],
    accounturi: str,
    now: datetime,
    dry_run: bool,
    prune: bool,
) -> list[Change]:
    checker = PropagationChecker(spec.dns.propagation)
    until = persist_until(spec, now)
    changes: list[Change] = []
    for name, (_domain, wildcard) in records_of(spec).items():
        wanted = format_value(issuers[0], accounturi, wildcard, until)
        try:
            views = read_record(checker, name)
            present = {v for view in views for v in view.values}
            current = _current(present, issuers, accounturi, wildcard, spec, now, wanted)
            stale = sorted(v for v in present if _ours_stale(v, issuers, wanted, current))
            if current is not None:
                changes.append(Change(spec.name, name, "unchanged", current))
            elif dry_run:
                changes.append(Change(spec.name, name, "would-add", wanted))
            else:
                provider = services.provider(spec.dns)
                provider.present(name, wanted)
                checker.wait_for(name, wanted)
                changes.append(Change(spec.name, name, "added", wanted))
                current = wanted
            for value in stale:
                if value == current:
                    continue
                if not prune:
                    changes.append(
                        Change(spec.name, name, "stale", value, "kept; --prune removes it")
                    )
                elif dry_run:
                    changes.append(Change(spec.name, name, "would-remove", value))
                else:
                    services.provider(spec.dns).cleanup(name, value)
                    changes.append(Change(spec.name, name, "removed", value))
        except Exception as exc:
            changes.append(Change(spec.name, name, "failed", wanted, describe_error(exc)))
    return changes


def _current(
    present: set[str],
    issuers: Sequence[str],
    accounturi: str,
    wildcard: bool,
    spec: CertificateSpec,
    now: datetime,
    wanted: str,
) -> str | None:
    """A value already there that does what ``wanted`` would (so nothing is written)."""
    if wanted in present:
        return wanted
    for value in sorted(present):
        verdict = judge([value], issuers, accounturi, wildcard, now)
        if verdict.verdict is not Verdict.VALID or verdict.value is None:
            continue
        until = verdict.value.persist_until
        configured = spec.persist_until
        if configured is None and until is None:
            return value
        if isinstance(configured, timedelta) and until is not None and until > now + configured / 2:
            return value  # a duration: keep a value until half of it is used up
        if isinstance(configured, datetime) and until == configured.replace(microsecond=0):
            return value
    return None


def _ours_stale(value: str, issuers: Sequence[str], wanted: str, current: str | None) -> bool:
    """A value for this CA's issuer names that is neither the wanted one nor the kept one."""
    if value in (wanted, current):
        return False
    issuer = value.split(";", 1)[0].strip(" \t").lower().rstrip(".")
    return issuer in {i.lower().rstrip(".") for i in issuers}  # never another CA's value
