"""One ACME order through DNS-01 or dns-persist-01, from CSR to issued chain.

Every TXT value is put in place first, then every authoritative server is
polled until it serves them, and only then are the challenges answered: the
CA validates once, on data that is already there. Cleanup of exactly the
values this order wrote runs in ``finally``: on success, on failure and on
cancellation.

With ``challenge: dns-persist-01`` (or ``auto`` where a valid standing record
exists) an identifier is proven by its ``_validation-persist`` record, which
is only read: that path performs no DNS write at all.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from acme import challenges, messages

from renewer.acme.client import (
    AcmeAccount,
    AcmeClient,
    AcmeFailure,
    choose_chain,
    problem_text,
)
from renewer.acme.persist01 import DNSPersist01
from renewer.acme.session import Reply
from renewer.core import retry
from renewer.core.certs import IssuedChain
from renewer.core.models import CertificateSpec
from renewer.core.retry import Deadline, NotYet, Policy
from renewer.dns.contract import DnsProvider
from renewer.dns.propagation import PropagationChecker, read_txt

log = logging.getLogger(__name__)

# Short exponential back-off between looks, overridden by the CA's Retry-After.
# A CA on a fast path (Pebble, a CA with a warm validation cache) is done within
# tens of milliseconds: a fixed 0.2 s first pause was a fifth of a one-certificate
# run. 0.05, 0.1, 0.2 ... 3 s asks at most three more times in the first 0.4 s.
POLL = Policy(first=0.05, factor=2.0, cap=3.0, poll=True)
# "Retry-After: 0" (or a date just past) must not turn the poll into a busy loop.
MIN_POLL_PAUSE = 0.05
# A CA may keep a failed challenge pending with its error (step-ca does) and validate
# again only when it is POSTed again. While our own check still sees the TXT value at
# every authoritative server, the CA's resolver may just lag: POST again, at most this
# often and this far apart; then the CA's problem ends the attempt.
CHALLENGE_RETRIES = 2
CHALLENGE_RETRY_GAP = 1.5


@dataclass
class OrderContext:
    """What one order needs besides the spec: CA account, DNS, the run's cancel flag and
    the certificate's deadline (the executor's ``--cert-deadline``: no default here,
    so no order runs on a budget other than the one the run was given)."""

    account: AcmeAccount
    provider: DnsProvider
    checker: PropagationChecker
    cancel: threading.Event
    deadline: Deadline
    # told each transient CA problem that a request retries (renewer.execute.struggle)
    on_transient: Callable[[str], None] | None = None


def poll_until(
    look: Callable[[], tuple[bool, Reply]],
    what: str,
    deadline: Deadline,
    cancel: threading.Event,
) -> Reply:
    """Ask again (``look``) until it reports done, pausing as the CA's Retry-After says.

    ``look`` returns (done, response) or raises for a final answer. The last
    look is at the deadline; past it the order fails "timed out waiting for ...".
    """

    def once() -> Reply:
        done, response = look()
        if not done:
            after = retry.parse_retry_after(response.headers.get("Retry-After"))
            raise NotYet(what, retry_after=None if after is None else max(after, MIN_POLL_PAUSE))
        return response

    try:
        return retry.attempt_until(
            once,
            policy=POLL,
            deadline=deadline,
            cancel=cancel,
            retry_on=lambda error: isinstance(error, NotYet),
        )
    except NotYet:
        raise AcmeFailure(f"timed out waiting for {what}") from None


def _dns01(authzr: messages.AuthorizationResource) -> messages.ChallengeBody:
    for challb in authzr.body.challenges:
        if isinstance(challb.chall, challenges.DNS01):
            return challb
    offered = ", ".join(c.chall.typ for c in authzr.body.challenges)
    raise AcmeFailure(f"the CA offers no dns-01 for {authzr.body.identifier.value} ({offered})")


def _persist01(
    ctx: OrderContext, spec: CertificateSpec, authzr: messages.AuthorizationResource, uri: str
) -> messages.ChallengeBody | None:
    """The dns-persist-01 challenge to answer for this identifier, or None for dns-01.

    dns-persist-01: the CA must offer it and the standing record must not be
    known bad (checked at every authoritative server first, so the failure
    says why in our words and no authorization is burnt). auto: only when the
    record is valid; anything else falls back to dns-01.
    """
    if spec.challenge not in ("dns-persist-01", "auto"):
        return None
    # imported here: a dns-01 run loads none of the standing-record machinery
    from renewer.dns.persist.record import Verdict, record_name
    from renewer.execute.persist import check_standing

    name = authzr.body.identifier.value
    challb = next((c for c in authzr.body.challenges if isinstance(c.chall, DNSPersist01)), None)
    if challb is None:
        if spec.challenge == "auto":
            log.info("%s: the CA offers no dns-persist-01 for %s; using dns-01", spec.name, name)
            return None
        offered = ", ".join(c.chall.typ for c in authzr.body.challenges)
        raise AcmeFailure(f"the CA offers no dns-persist-01 for {name} ({offered})")
    chall: DNSPersist01 = challb.chall
    wildcard = bool(authzr.body.wildcard)
    verdict = check_standing(
        ctx.checker, name, chall.issuer_domain_names, chall.accounturi or uri, wildcard
    )
    if verdict.verdict in (Verdict.VALID, Verdict.EXPIRING):
        if verdict.verdict is Verdict.EXPIRING:
            log.warning("%s: %s %s", spec.name, record_name(name), verdict.reason)
        return challb
    if spec.challenge == "auto":
        log.info("%s: %s %s; using dns-01", spec.name, record_name(name), verdict.reason)
        return None
    if verdict.verdict is Verdict.UNKNOWN:  # we cannot see it; the CA may
        log.warning("%s: %s not checked (%s)", spec.name, record_name(name), verdict.reason)
        return challb
    raise AcmeFailure(
        f"dns-persist-01 for {name}: {record_name(name)} {verdict.reason} "
        "(not submitted to the CA; fix the record, e.g. with `renewer persist`)"
    )


def _account_uri(acme: AcmeClient) -> str:
    regr = acme.net.account
    return regr.uri if regr is not None and regr.uri else ""


def _authz_error(authzr: messages.AuthorizationResource) -> str:
    name = authzr.body.identifier.value
    for challb in authzr.body.challenges:
        if challb.error is not None:
            return f"{challb.chall.typ} for {name} failed: {problem_text(challb.error)}"
    return f"authorization for {name} is {authzr.body.status.name}"


@dataclass
class Answered:
    """One challenge renewer answered, and the TXT value it wrote for it (None: standing)."""

    authzr: messages.AuthorizationResource
    challb: messages.ChallengeBody
    target: str | None = None
    value: str | None = None
    again: int = 0  # POSTed again after the CA reported an error
    last_post: float = field(default_factory=time.monotonic)


def _answered_error(
    authzr: messages.AuthorizationResource, answered: Answered
) -> messages.Error | None:
    """The error the CA attached to the challenge we answered, while it is not valid."""
    for challb in authzr.body.challenges:
        same = challb.uri == answered.challb.uri or challb.chall.typ == answered.challb.chall.typ
        if same and challb.status != messages.STATUS_VALID and challb.error is not None:
            error: messages.Error = challb.error
            return error
    return None


def _still_visible(checker: PropagationChecker, target: str, value: str) -> bool:
    """Whether every authoritative server answers ``value`` now (one look, no waiting)."""
    try:
        found = read_txt(checker, target)
    except Exception as exc:  # a DNS failure of ours: the CA's problem is the better reason
        log.debug("could not look at %s again: %s", target, exc)
        return False
    return bool(found) and all(values is not None and value in values for _s, values, _e in found)


def obtain(
    ctx: OrderContext, spec: CertificateSpec, csr_pem: bytes, replaces: str | None
) -> IssuedChain:
    """Run the order for ``csr_pem``; raises AcmeFailure/DnsError with one readable line."""
    try:
        return _obtain(ctx, spec, csr_pem, replaces)
    except messages.Error as error:
        raise AcmeFailure.from_problem("CA error: ", error) from None


def _obtain(
    ctx: OrderContext, spec: CertificateSpec, csr_pem: bytes, replaces: str | None
) -> IssuedChain:
    ctx.account.check_profile(spec.acme.profile, ctx.deadline)
    acme = ctx.account.client(ctx.deadline, ctx.cancel)
    acme.on_transient = ctx.on_transient  # this order's requests only
    order = ctx.account.new_order(acme, csr_pem, spec.acme.profile, replaces)
    presented: list[tuple[str, str]] = []
    try:
        pending: list[tuple[messages.AuthorizationResource, messages.ChallengeBody]] = []
        written: dict[int, tuple[str, str]] = {}  # id(authorization) -> its TXT name and value
        for authzr in order.authorizations:
            if authzr.body.status == messages.STATUS_VALID:
                continue
            standing = _persist01(ctx, spec, authzr, _account_uri(acme))
            if standing is not None:  # dns-persist-01: nothing to write
                pending.append((authzr, standing))
                continue
            challb = _dns01(authzr)
            target = ctx.checker.resolve_target(authzr.body.identifier.value)
            value = challb.chall.validation(acme.net.key)
            ctx.provider.present(target, value)
            presented.append((target, value))
            written[id(authzr)] = (target, value)
            pending.append((authzr, challb))
        for target, value in presented:
            waited = ctx.checker.wait_for(target, value)
            log.debug("%s: TXT at %s visible after %.2fs", spec.name, target, waited)
        answered: list[Answered] = []
        for authzr, challb in pending:
            if isinstance(challb.chall, DNSPersist01):
                acme.answer_challenge(challb, challb.chall.response())
                answered.append(Answered(authzr, challb))
                continue
            acme.answer_challenge(challb, challb.chall.response(acme.net.key))
            target, value = written[id(authzr)]
            answered.append(Answered(authzr, challb, target, value))
        for item in answered:
            _await_authorization(acme, item, ctx)
        return _finalize(acme, order, ctx, spec)
    finally:
        for target, value in presented:
            try:
                ctx.provider.cleanup(target, value)
            except Exception as exc:  # cleanup must not hide the order's own outcome
                log.warning("%s: could not remove TXT at %s: %s", spec.name, target, exc)


def _await_authorization(acme: AcmeClient, answered: Answered, ctx: OrderContext) -> None:
    """Poll until valid; an invalid authorization or an error on our challenge ends it.

    A challenge the CA keeps pending with an error is POSTed again (a bounded
    number of times, ``CHALLENGE_RETRY_GAP`` apart) only while our own check
    still sees the TXT value; otherwise the CA's problem is the answer, at once,
    rather than a poll until the certificate's deadline.
    """
    authzr = answered.authzr

    def look() -> tuple[bool, Reply]:
        updated, response = acme.poll(authzr)
        status = updated.body.status
        if status in (messages.STATUS_INVALID, messages.STATUS_DEACTIVATED):
            raise AcmeFailure(_authz_error(updated))
        if status == messages.STATUS_VALID:
            return True, response
        error = _answered_error(updated, answered)
        if error is not None:
            _again_or_fail(acme, answered, error, ctx)
        return False, response

    what = f"validation of {authzr.body.identifier.value}"
    poll_until(look, what, ctx.deadline, ctx.cancel)


def _again_or_fail(
    acme: AcmeClient, answered: Answered, error: messages.Error, ctx: OrderContext
) -> None:
    """POST a pending challenge with an error again, or end the attempt with its problem."""
    name = answered.authzr.body.identifier.value
    typ = answered.challb.chall.typ
    if time.monotonic() - answered.last_post < CHALLENGE_RETRY_GAP:
        return  # the CA's answer to the last POST; look again a little later
    target, value = answered.target, answered.value
    if (
        answered.again < CHALLENGE_RETRIES
        and target is not None
        and value is not None
        and _still_visible(ctx.checker, target, value)
    ):
        answered.again += 1
        answered.last_post = time.monotonic()
        log.info(
            "%s for %s: the CA reported %s; our DNS check sees the value, asking again (%d/%d)",
            typ,
            name,
            problem_text(error),
            answered.again,
            CHALLENGE_RETRIES,
        )
        acme.answer_challenge(answered.challb, answered.challb.chall.response(acme.net.key))
        return
    tried = f" (asked {answered.again + 1} times)" if answered.again else ""
    # No problem code on the failure: "rejectedIdentifier" from a challenge means a wrong
    # TXT value, not the permanent "will not issue for this name" the hint table says.
    raise AcmeFailure(f"{typ} for {name} failed: {problem_text(error)}{tried}")


def _finalize(
    acme: AcmeClient,
    order: messages.OrderResource,
    ctx: OrderContext,
    spec: CertificateSpec,
) -> IssuedChain:
    try:
        order = acme.begin_finalization(order)
    except messages.Error as error:
        if error.code != "orderNotReady":
            raise

    def look() -> tuple[bool, Reply]:
        response = acme.post_as_get(order.uri)
        body = messages.Order.from_json(response.json())
        if body.status == messages.STATUS_INVALID:
            detail = problem_text(body.error) if body.error else "no detail given"
            raise AcmeFailure(f"order became invalid: {detail}")
        if body.status == messages.STATUS_READY:
            acme.begin_finalization(order)
        return body.status == messages.STATUS_VALID and bool(body.certificate), response

    response = poll_until(look, "the certificate", ctx.deadline, ctx.cancel)
    body = messages.Order.from_json(response.json())
    cert_response = acme.post_as_get(body.certificate)
    alternatives: list[str] = []
    if spec.acme.preferred_chain:
        alternatives = [acme.post_as_get(u).text for u in acme.links(cert_response, "alternate")]
    order = order.update(
        body=body, fullchain_pem=cert_response.text, alternative_fullchains_pem=alternatives
    )
    return choose_chain(order, spec.acme.preferred_chain)
