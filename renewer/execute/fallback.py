"""Issuer fallback: which CA failures send a certificate to the next listed CA.

A second CA is worth asking only when the first one's failure is about that
CA, not about the certificate: it is down or hung (the transport's down list),
it rate-limits this account, or it keeps failing on its side
(``serverInternal`` after the retries). A failure about the certificate's own
names (``unauthorized``, ``dns``, ``caa``, ``rejectedIdentifier``, a wrong
TXT value, ``badCSR``) would fail at any CA, and an order there would only
spend that CA's limits and hide the real problem, so it ends the certificate
at once, with the first CA's words.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TypeVar

from renewer.acme.failures import AcmeFailure, CaDown
from renewer.core.adoption import ca_changed
from renewer.core.errors import describe_error
from renewer.core.models import CertificateSpec, StoredCertificate
from renewer.core.settings import AcmeSettings

log = logging.getLogger(__name__)

T = TypeVar("T")

# ACME problem types (RFC 8555 6.7) that say the CA, not the request, is the obstacle.
CA_SIDE_CODES = frozenset({"rateLimited", "serverInternal"})


def another_ca_may_help(error: BaseException) -> bool:
    """The decision table: True for the failures a different CA can fix (module doc).

    A CA answer without a problem document that is an HTTP 5xx (a proxy's 502
    or 503 in front of the CA) counts as the CA failing; an ACME problem
    counts by its type only, so a validation failure never moves on.
    """
    if isinstance(error, CaDown):
        return True
    if not isinstance(error, AcmeFailure):
        return False  # DNS, store, CAA pre-check, cancel: the same at any CA
    if error.code is not None:
        return error.code in CA_SIDE_CODES
    return error.transient  # only the HTTP 5xx without a problem document is transient here


def retry_here(error: BaseException, last: bool) -> bool:
    """Whether a new order goes to the same CA: a rate limit moves on at once when
    another CA is listed (more orders there only count against the limit)."""
    if not (isinstance(error, AcmeFailure) and error.transient):
        return False
    return last or error.code != "rateLimited"


class IssuersFailed(AcmeFailure):
    """Every listed CA failed in a way another CA could have fixed; each one's words."""

    def __init__(self, failures: Sequence[tuple[AcmeSettings, BaseException]]) -> None:
        last = failures[-1][1]
        words = "; ".join(f"{i.directory}: {describe_error(e)}" for i, e in failures)
        code = last.code if isinstance(last, AcmeFailure) else None
        after = last.retry_after if isinstance(last, AcmeFailure) else None
        super().__init__(f"every CA failed ({words})", code, retry_after=after, transient=False)


def first_to_issue(
    name: str,
    issuers: Sequence[AcmeSettings],
    attempt: Callable[[AcmeSettings, bool], T],
) -> T:
    """``attempt(issuer, last)`` for each issuer in order until one succeeds.

    A failure another CA cannot fix is raised as it is, whichever issuer it
    came from; a single issuer's failure is raised unchanged too, so a
    one-CA configuration reports exactly what it always did.
    """
    failures: list[tuple[AcmeSettings, BaseException]] = []
    for index, issuer in enumerate(issuers):
        last = index == len(issuers) - 1
        try:
            return attempt(issuer, last)
        except Exception as exc:
            if len(issuers) == 1 or not another_ca_may_help(exc):
                raise
            failures.append((issuer, exc))
            if not last:
                log.warning(
                    "%s: %s; trying the next CA, %s",
                    name,
                    describe_error(exc),
                    issuers[index + 1].directory,
                )
    raise IssuersFailed(failures)


def replaces_for(
    spec: CertificateSpec, current: StoredCertificate | None, issuer: AcmeSettings
) -> str | None:
    """The certID for ``replaces`` in an order at ``issuer``: only the CA that issued
    the current certificate knows it (another CA refuses it, or another account's).

    A certificate whose CA is not among the listed ones (the config moved to a
    new CA) still offers it to the first: that CA may refuse, and the order is
    then sent without it (renewer.acme.client).
    """
    if current is None:
        return None
    if not current.managed:  # adopted: the other tool recorded the same CA
        return (
            current.ari_cert_id if issuer == spec.acme and not ca_changed(spec, current) else None
        )
    own = spec.issuer_of(current)
    return current.ari_cert_id if issuer == (own or spec.acme) else None


def same_as_wanted(spec: CertificateSpec, current: StoredCertificate) -> bool:
    """True when ``current`` is what ``spec`` asks for, from any listed CA (another
    run issued it meanwhile, perhaps from a fallback CA)."""
    own = spec.issuer_of(current)
    return own is not None and current.fingerprint == spec.with_issuer(own).fingerprint()
