"""The verdict for one address: pure, from served facts + stored versions + now.

Order of the questions, each answered only if the previous one passed:

1. Was anything read? No: ``unreachable`` (with the reason).
2. Could the store be read? No: ``store-error``.
3. Is the served leaf one of the store's versions (by SHA-1 thumbprint)?
   No: ``name-mismatch`` if it does not even cover the SNI name (the server
   routed the name to another site or its default certificate), else
   ``foreign`` (someone bound a certificate the store never held).
4. Does the served leaf cover the SNI name? No: ``name-mismatch``.
5. Is it a previous version? Then ``within-grace`` while the current
   version is younger than ``grace`` (consumers poll: Key Vault VM
   extension, App Gateway, Front Door), else ``stale``.
6. Is the chain complete? No: ``chain-incomplete`` (clients without the
   intermediate cached fail, Android and curl among them).
7. Otherwise ``current``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature

from renewer.core.endpoints import EndpointSpec
from renewer.plan.policy import describe_delta
from renewer.stores.contract import StoredVersion
from renewer.verify.model import Finding, Probe, ServedCertificate, StoreView, Verdict


def judge(
    certificate: str,
    probe: Probe,
    store: StoreView,
    grace: timedelta,
    now: datetime,
) -> Finding:
    """The finding for one probed address (see the module docstring for the order)."""
    endpoint, served = probe.endpoint, probe.served

    def finding(verdict: Verdict, message: str, matched: StoredVersion | None = None) -> Finding:
        return Finding(
            certificate, endpoint, probe.address, verdict, message,
            served, matched, store.current, grace,
        )  # fmt: skip

    if served is None:
        return finding(Verdict.UNREACHABLE, f"unreachable: {probe.error or 'no certificate'}")
    if store.error is not None:
        return finding(Verdict.STORE_ERROR, f"store unreadable: {store.error}")
    matched = next((v for v in store.versions if v.sha1 == served.sha1), None)
    covers = covered(endpoint.sni, served.names) if endpoint.sni else True
    if matched is None:
        if not covers:
            return finding(Verdict.NAME_MISMATCH, _mismatch(endpoint, served))
        where = f"; store has {_version(store.current)}" if store.current else ""
        message = (
            f"foreign certificate: serves serial {served.serial} from {served.issuer} "
            f"({_expiry(served.not_after, now)}), not a version in the store{where}"
        )
        return finding(Verdict.FOREIGN, message)
    if not covers:
        return finding(Verdict.NAME_MISMATCH, _mismatch(endpoint, served), matched)
    current = store.current
    if current is not None and not matched.current:
        age = now - current.created
        if age <= grace and served.not_after > now:
            message = f"previous version (renewed {_ago(age)} ago, within grace of {_span(grace)})"
            return finding(Verdict.WITHIN_GRACE, message, matched)
        message = (
            f"STALE: serves serial {served.serial} ({_expiry(served.not_after, now)}), "
            f"store has {_version(current)} since {_moment(current.created)}"
        )
        return finding(Verdict.STALE, message, matched)
    missing = missing_issuer(served.chain_der, matched.chain_der)
    if missing is not None:
        return finding(Verdict.CHAIN_INCOMPLETE, f"chain incomplete: {missing}", matched)
    return finding(Verdict.CURRENT, f"current (serial {served.serial})", matched)


def covered(name: str, names: tuple[str, ...]) -> bool:
    """True if a certificate for ``names`` is valid for host ``name`` (RFC 6125 wildcards)."""
    host = name.lower().rstrip(".")
    for candidate in (n.lower().rstrip(".") for n in names):
        if candidate == host:
            return True
        if candidate.startswith("*.") and "." in host and host.split(".", 1)[1] == candidate[2:]:
            return True
    return False


def missing_issuer(served: tuple[bytes, ...], stored: tuple[bytes, ...] | None) -> str | None:
    """Why the served chain is incomplete, or None if it is complete.

    Walks from the leaf through the served certificates, each the issuer of
    the one before (name and signature). Where the walk stops, the chain is
    complete if the last certificate is self-signed or its issuer is a root
    (not an intermediate the store keeps for this version). A store that does
    not know the chain (Key Vault listings) leaves one rule: a public CA
    never signs leaves with its root, so a leaf served alone is incomplete.
    """
    certs = [x509.load_der_x509_certificate(der) for der in served]
    if not certs:
        return "no certificate served"
    path = [certs[0]]
    rest = certs[1:]
    while True:
        last = path[-1]
        if _self_signed(last):
            return None
        issuer = next((c for c in rest if c not in path and _issued_by(last, c)), None)
        if issuer is None:
            break
        path.append(issuer)
    last = path[-1]
    if stored is None:
        return None if len(path) > 1 else "only the leaf is served, no intermediate"
    for der in stored:
        intermediate = x509.load_der_x509_certificate(der)
        if not _self_signed(intermediate) and _issued_by(last, intermediate):
            subject = intermediate.subject.rfc4514_string()
            return f"the server does not send the intermediate {subject}"
    return None


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _self_signed(cert: x509.Certificate) -> bool:
    return _issued_by(cert, cert)


def _mismatch(endpoint: EndpointSpec, served: ServedCertificate) -> str:
    names = ", ".join(served.names[:5]) or served.subject
    more = f" and {len(served.names) - 5} more" if len(served.names) > 5 else ""
    return f"name mismatch: SNI {endpoint.sni} got a certificate for {names}{more}"


def _version(version: StoredVersion | None) -> str:
    if version is None:
        return "nothing"
    return f"serial {version.serial}" if version.serial else f"thumbprint {version.sha1[:16]}"


def _expiry(not_after: datetime, now: datetime) -> str:
    left = not_after - now
    if left <= timedelta(0):
        return f"EXPIRED {describe_delta(left)} ago"
    return f"expires in {describe_delta(left)}"


def _ago(age: timedelta) -> str:
    hours = age.total_seconds() / 3600
    if hours >= 1:
        return f"{hours:.0f} h"
    return f"{max(age.total_seconds(), 0) / 60:.0f} min"


def _span(span: timedelta) -> str:
    seconds = span.total_seconds()
    if seconds % 3600 == 0:
        return f"{seconds / 3600:.0f}h"
    return f"{seconds / 60:.0f}m" if seconds % 60 == 0 else f"{seconds:.0f}s"


def _moment(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")
