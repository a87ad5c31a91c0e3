"""CAA records as a CA will read them (RFC 8659), looked up with dnspython.

A CAA record that does not allow the CA makes every order fail at the CA,
but only after the TXT records were written and the propagation wait spent:
minutes per certificate, and a failure the CA words in its own terms. Looking
the records up first lets a run fail that certificate at once, naming the
record, while the others go on.

The relevant record set of a name (RFC 8659 section 3) is the first non-empty
CAA set found climbing from the name towards the root, the root excluded;
a CNAME at any step is followed (the set of the alias's target counts for the
alias), and an empty answer there climbs on from the alias, not the target.
Evaluation lives in ``renewer.dns.caa_policy``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from renewer.config.domains import split_host_port
from renewer.core.settings import PropagationSettings
from renewer.dns.contract import DnsError, absolute

QUERY_TIMEOUT = 3.0
MAX_CNAME_HOPS = 8


class CaaLookupError(DnsError):
    """No server gave a usable CAA answer for a name (SERVFAIL, timeout)."""


@dataclass(frozen=True)
class CaaRecord:
    """One CAA resource record: ``flags tag "value"``."""

    flags: int
    tag: str
    value: str

    @property
    def critical(self) -> bool:
        return bool(self.flags & 0x80)

    def text(self) -> str:
        """The presentation form (RFC 8659 section 4.1.1), as a zone file holds it."""
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"')
        return f'{self.flags} {self.tag} "{escaped}"'


@dataclass(frozen=True)
class CaaSet:
    """The relevant CAA set of ``name``: found at ``owner`` (None: no CAA anywhere above)."""

    name: str
    owner: str | None
    records: tuple[CaaRecord, ...] = ()


@runtime_checkable
class ManagesCaa(Protocol):
    """Optional: a DNS provider that can write CAA records (Azure DNS with ``manage_caa``).

    ``manages_caa()`` says whether the configuration asked for it. ``ensure_caa``
    adds ``records`` (and ``issuewild`` twins where the set has ``issuewild``
    records and ``wildcard`` is set) to the set at the apex of the zone holding
    ``domain``, keeping every other record, and returns that set as stored now.
    """

    def manages_caa(self) -> bool: ...

    def ensure_caa(self, domain: str, records: Sequence[CaaRecord], wildcard: bool) -> CaaSet: ...


def climb(name: str) -> list[str]:
    """``name`` and each ancestor, root excluded: a.b.example.com. -> ..., com."""
    labels = absolute(name).rstrip(".").split(".")
    return [".".join(labels[i:]) + "." for i in range(len(labels))]


def _records(rrset: dns.rrset.RRset) -> list[CaaRecord]:
    return [
        CaaRecord(
            int(rdata.flags),
            rdata.tag.decode(errors="replace").lower(),
            rdata.value.decode(errors="replace"),
        )
        for rdata in rrset
    ]


class CaaResolver:
    """CAA lookups for one DNS setting, each name's set asked once per run.

    With ``propagation.nameservers`` the configured servers are asked (local
    and split-DNS setups, the test rig); else the system resolver, which
    follows CNAMEs itself.
    """

    def __init__(self, settings: PropagationSettings) -> None:
        self._servers = tuple(split_host_port(ns) for ns in settings.nameservers)
        self._cache: dict[str, CaaSet] = {}
        self._lock = threading.Lock()

    def relevant(self, domain: str) -> CaaSet:
        """The relevant CAA set for ``domain`` (a wildcard is looked up at its base)."""
        name = absolute(domain.removeprefix("*."))
        with self._lock:
            known = self._cache.get(name)
        if known is not None:
            return known
        found = CaaSet(name, None)
        for candidate in climb(name):
            records = self._at(candidate)
            if records:
                found = CaaSet(name, candidate, tuple(records))
                break
        with self._lock:
            self._cache[name] = found
        return found

    def _at(self, name: str) -> list[CaaRecord]:
        """The CAA records answered for ``name``, CNAMEs followed."""
        if not self._servers:
            return self._system(name)
        seen = {name}
        current = name
        for _ in range(MAX_CNAME_HOPS):
            response = self._ask(current)
            records, target = _walk(response, current)
            if records or target is None:
                return records
            if target in seen:
                raise CaaLookupError(f"CNAME loop at {target} looking up CAA for {name}")
            seen.add(target)
            current = target
        raise CaaLookupError(f"more than {MAX_CNAME_HOPS} CNAMEs looking up CAA for {name}")

    def _ask(self, name: str) -> dns.message.Message:
        errors: list[str] = []
        for host, port in self._servers:
            query = dns.message.make_query(name, dns.rdatatype.CAA)
            try:
                response = dns.query.udp(query, host, port=port, timeout=QUERY_TIMEOUT)
                if response.flags & dns.flags.TC:
                    response = dns.query.tcp(query, host, port=port, timeout=QUERY_TIMEOUT)
            except (OSError, dns.exception.DNSException) as exc:
                errors.append(f"{host}:{port} {exc.__class__.__name__}")
                continue
            rcode = response.rcode()
            if rcode in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
                return response
            if rcode == dns.rcode.REFUSED:
                # An authoritative server asked about a name outside its zones (an
                # ancestor above the zone): it holds no CAA there.
                return dns.message.make_response(query)
            errors.append(f"{host}:{port} {dns.rcode.to_text(rcode)}")
        raise CaaLookupError(f"CAA lookup for {name} failed: {', '.join(errors)}")

    @staticmethod
    def _system(name: str) -> list[CaaRecord]:
        from dns import resolver  # the system resolver: only without configured nameservers

        try:
            answer = resolver.resolve(name, dns.rdatatype.CAA, raise_on_no_answer=False)
        except resolver.NXDOMAIN:
            return []
        except dns.exception.DNSException as exc:
            raise CaaLookupError(
                f"CAA lookup for {name} failed: {exc.__class__.__name__}"
            ) from None
        return _records(answer.rrset) if answer.rrset is not None else []


def _walk(response: dns.message.Message, name: str) -> tuple[list[CaaRecord], str | None]:
    """The CAA records of ``name`` in an answer after its CNAME chain; else the chain's end.

    Returns (records, None) when the answer is final (records or none), and
    ([], target) when it stops at a CNAME target the server did not answer
    for (a target outside its zones: ask again there).
    """
    current = dns.name.from_text(name)
    moved = False
    for _ in range(MAX_CNAME_HOPS):
        caa = response.get_rrset(response.answer, current, dns.rdataclass.IN, dns.rdatatype.CAA)
        if caa is not None:
            return _records(caa), None
        alias = response.get_rrset(response.answer, current, dns.rdataclass.IN, dns.rdatatype.CNAME)
        if alias is None:
            return [], (current.to_text() if moved else None)
        current = alias[0].target
        moved = True
    return [], None


def lookup_all(resolver: CaaResolver, domains: Sequence[str]) -> dict[str, CaaSet | str]:
    """Each domain's relevant set, or the lookup error's one line (advisory callers)."""
    found: dict[str, CaaSet | str] = {}
    for domain in domains:
        try:
            found[domain] = resolver.relevant(domain)
        except CaaLookupError as exc:
            found[domain] = str(exc)
    return found
