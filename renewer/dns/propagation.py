"""Where the TXT record really goes, and when the CA will see it.

Two jobs, both done against DNS rather than guessed:
- follow a CNAME at ``_acme-challenge.<domain>`` so a delegated challenge
  name is written where the CA will look;
- poll every authoritative nameserver of the zone until our value is there,
  then answer the challenge. No fixed sleep: a fast zone answers in
  milliseconds, a slow one gets until the deadline.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rdatatype

from renewer.config.domains import split_host_port
from renewer.core import retry
from renewer.core.retry import Cancelled as Cancelled
from renewer.core.retry import Deadline, Policy
from renewer.core.settings import PropagationSettings
from renewer.dns.contract import DnsError, absolute

QUERY_TIMEOUT = 3.0
MAX_CNAME_HOPS = 8


class PropagationTimeout(DnsError):
    """The value did not appear at every authoritative server before the deadline."""


class _NotVisible(retry.NotYet):
    """Some authoritative servers do not serve the value yet (the poll goes on)."""


def challenge_name(domain: str) -> str:
    """``_acme-challenge`` owner for a domain; a wildcard shares its base name's."""
    return absolute("_acme-challenge." + domain.removeprefix("*."))


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    label: str

    def __str__(self) -> str:
        return (
            self.label
            if self.label == f"{self.host}:{self.port}"
            else (f"{self.label} ({self.host}:{self.port})")
        )


def _query(server: Server, name: str, rdtype: dns.rdatatype.RdataType) -> dns.message.Message:
    query = dns.message.make_query(name, rdtype)
    query.flags &= ~dns.flags.RD
    response = dns.query.udp(query, server.host, port=server.port, timeout=QUERY_TIMEOUT)
    if response.flags & dns.flags.TC:
        response = dns.query.tcp(query, server.host, port=server.port, timeout=QUERY_TIMEOUT)
    return response


def _txt_at(server: Server, name: str) -> set[str]:
    """The TXT values ``server`` answers for ``name``."""
    return _txt_values(_query(server, name, dns.rdatatype.TXT), name)


def _cname_at(server: Server, name: str) -> str | None:
    """The CNAME target ``server`` answers for ``name``, None when it has none."""
    response = _query(server, name, dns.rdatatype.CNAME)
    owner = dns.name.from_text(name)
    for rrset in response.answer:
        if rrset.rdtype == dns.rdatatype.CNAME and rrset.name == owner:
            return absolute(rrset[0].target.to_text())
    return None


def _txt_values(response: dns.message.Message, name: str) -> set[str]:
    owner = dns.name.from_text(name)
    values: set[str] = set()
    for rrset in response.answer:
        if rrset.rdtype == dns.rdatatype.TXT and rrset.name == owner:
            for rdata in rrset:
                values.add(b"".join(rdata.strings).decode(errors="replace"))
    return values


class PropagationChecker:
    """CNAME following and authoritative polling for one DNS setting."""

    def __init__(
        self,
        settings: PropagationSettings,
        cancel: threading.Event | None = None,
        deadline: Deadline | None = None,
    ):
        self.settings = settings
        self.cancel = cancel or threading.Event()
        self.deadline = deadline  # the certificate's: no wait outlasts it
        self._overrides = tuple(
            Server(*split_host_port(ns), label=ns) for ns in settings.nameservers
        )

    def resolve_target(self, domain: str) -> str:
        """The name to write for ``domain``: its challenge name after any CNAMEs."""
        name = challenge_name(domain)
        seen = {name}
        for _ in range(MAX_CNAME_HOPS):
            target = self._cname_of(name)
            if target is None:
                return name
            if target in seen:
                raise DnsError(f"CNAME loop at {name}")
            seen.add(target)
            name = target
        raise DnsError(f"more than {MAX_CNAME_HOPS} CNAMEs from {challenge_name(domain)}")

    def _cname_of(self, name: str) -> str | None:
        if self._overrides:
            for server in self._overrides:
                try:
                    return _cname_at(server, name)
                except (OSError, dns.exception.DNSException):
                    continue
            return None
        from dns import resolver  # the system resolver: only without configured nameservers

        try:
            answer = resolver.resolve(name, dns.rdatatype.CNAME, raise_on_no_answer=False)
        except (resolver.NXDOMAIN, resolver.NoNameservers, dns.exception.Timeout):
            return None
        if answer.rrset is None:
            return None
        return absolute(answer.rrset[0].target.to_text())

    def authoritative_servers(self, fqdn: str) -> tuple[Server, ...]:
        """The configured override, else the zone's NS hosts and their addresses."""
        if self._overrides:
            return self._overrides
        from dns import resolver

        try:
            zone = resolver.zone_for_name(fqdn)
            ns_answer = resolver.resolve(zone, dns.rdatatype.NS)
        except dns.exception.DNSException as exc:
            raise DnsError(f"cannot find the nameservers of the zone of {fqdn}: {exc}") from None
        servers: list[Server] = []
        for ns in ns_answer:
            host = ns.target.to_text()
            for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
                try:
                    addrs = resolver.resolve(host, rdtype)
                except dns.exception.DNSException:
                    continue
                servers.extend(Server(a.to_text(), 53, host.rstrip(".")) for a in addrs)
        if not servers:
            raise DnsError(f"no reachable nameserver address for the zone {zone}")
        return tuple(servers)

    def wait_for(self, fqdn: str, value: str) -> float:
        """Poll until every authoritative server answers ``value``; returns seconds waited."""
        fqdn = absolute(fqdn)
        servers = self.authoritative_servers(fqdn)
        pending = set(servers)
        started = time.monotonic()
        own = Deadline.after(self.settings.timeout)
        last_error: dict[Server, str] = {}

        def look() -> None:
            for server in sorted(pending, key=str):
                try:
                    if value in _txt_at(server, fqdn):
                        pending.discard(server)
                        last_error.pop(server, None)
                except (OSError, dns.exception.DNSException) as exc:
                    last_error[server] = exc.__class__.__name__
            if pending:
                missing = ", ".join(
                    f"{s}{' (' + last_error[s] + ')' if s in last_error else ''}"
                    for s in sorted(pending, key=str)
                )
                raise _NotVisible(f"TXT value at {fqdn} not visible at {missing}")

        interval = self.settings.interval
        try:
            # Event.wait inside: Ctrl-C / SIGTERM wakes the poll for cleanup.
            retry.attempt_until(
                look,
                policy=Policy(first=interval, factor=1.0, cap=interval, poll=True),
                deadline=own.sooner(self.deadline),
                cancel=self.cancel,
                retry_on=lambda error: isinstance(error, _NotVisible),
            )
        except _NotVisible as missing:
            if self.deadline is not None and self.deadline.at < own.at:
                raise PropagationTimeout(f"{missing} before the certificate's deadline") from None
            raise PropagationTimeout(f"{missing} after {self.settings.timeout:g}s") from None
        except Cancelled:
            raise Cancelled("run cancelled while waiting for DNS propagation") from None
        return time.monotonic() - started


def read_txt(
    checker: PropagationChecker, fqdn: str
) -> tuple[tuple[Server, frozenset[str] | None, str | None], ...]:
    """Every authoritative server's TXT values at ``fqdn``, read once (no polling).

    Each entry is (server, values, error): values None and an error class name
    when that server could not be asked. Used for standing records
    (dns-persist-01), which must already be there rather than appear soon.
    """
    fqdn = absolute(fqdn)
    found: list[tuple[Server, frozenset[str] | None, str | None]] = []
    for server in sorted(checker.authoritative_servers(fqdn), key=str):
        try:
            values = _txt_at(server, fqdn)
        except (OSError, dns.exception.DNSException) as exc:
            found.append((server, None, exc.__class__.__name__))
            continue
        found.append((server, frozenset(values), None))
    return tuple(found)
