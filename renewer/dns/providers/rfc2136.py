"""RFC 2136 dynamic updates signed with TSIG (BIND, Knot, PowerDNS, Windows DNS).

RFC 2136 can add or delete one RR of a set, so concurrency safety comes from
the protocol itself: no read-modify-write, no lost sibling values.
"""

from __future__ import annotations

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring
import dns.update

from renewer.config.domains import split_host_port
from renewer.config.types.dns_rfc2136 import Rfc2136Settings
from renewer.core.secrets import decode_base64
from renewer.dns.contract import DnsError, DnsProvider, absolute

TTL = 60
TIMEOUT = 10.0
ALGORITHMS = {
    "hmac-sha1": dns.tsig.HMAC_SHA1,
    "hmac-sha256": dns.tsig.HMAC_SHA256,
    "hmac-sha384": dns.tsig.HMAC_SHA384,
    "hmac-sha512": dns.tsig.HMAC_SHA512,
}


def quote_txt(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Rfc2136Provider(DnsProvider):
    """Writes TXT values to one primary server with TSIG-signed updates."""

    def __init__(
        self,
        settings: Rfc2136Settings,
    ) -> None:
        self.host, self.port = split_host_port(settings.nameserver)
        self.tsig = settings.tsig
        self.zone = absolute(settings.zone) if settings.zone else None
        # Per run (the provider is shared by every order): the zone of each name,
        # asked once for present and cleanup, and the TSIG key, decoded once.
        self._zones: dict[str, dns.name.Name] = {}
        self._signer: tuple[dict[dns.name.Name, dns.tsig.Key], dns.name.Name] | None = None

    def describe(self) -> str:
        return f"rfc2136 {self.host}:{self.port}"

    def _zone_for(self, fqdn: str) -> dns.name.Name:
        """Ask the server which zone holds ``fqdn`` (the SOA owner it answers with), once."""
        if self.zone:
            return dns.name.from_text(self.zone)
        found = self._zones.get(fqdn)
        if found is None:
            found = self._zones[fqdn] = self._ask_zone(fqdn)
        return found

    def _ask_zone(self, fqdn: str) -> dns.name.Name:
        query = dns.message.make_query(fqdn, dns.rdatatype.SOA)
        try:
            response = dns.query.udp(query, self.host, port=self.port, timeout=TIMEOUT)
        except (OSError, dns.exception.DNSException) as exc:
            raise DnsError(f"{self.describe()}: cannot find the zone of {fqdn}: {exc}") from None
        for rrset in list(response.answer) + list(response.authority):
            if rrset.rdtype == dns.rdatatype.SOA:
                return rrset.name
        raise DnsError(f"{self.describe()}: no zone on this server holds {fqdn}")

    def _send(self, update: dns.update.UpdateMessage, what: str) -> None:
        try:
            response = dns.query.tcp(update, self.host, port=self.port, timeout=TIMEOUT)
        except (OSError, dns.exception.DNSException) as exc:
            raise DnsError(f"{self.describe()}: {what} failed: {exc}") from None
        rcode = response.rcode()
        if rcode != dns.rcode.NOERROR:
            raise DnsError(f"{self.describe()}: {what} refused: {dns.rcode.to_text(rcode)}")

    def _update(self, zone: dns.name.Name) -> dns.update.UpdateMessage:
        if self.tsig is not None:
            if self._signer is None:
                secret = self.tsig.secret.resolve()
                # the codec's "Incorrect padding" would name neither setting nor variable
                decode_base64(secret, f"dns.tsig.secret (the value of {self.tsig.secret})")
                keyring = dns.tsigkeyring.from_text({self.tsig.name: secret})
                self._signer = keyring, dns.name.from_text(self.tsig.name)
            keyring, keyname = self._signer
            return dns.update.UpdateMessage(
                zone, keyring=keyring, keyname=keyname, keyalgorithm=ALGORITHMS[self.tsig.algorithm]
            )
        return dns.update.UpdateMessage(zone)

    def present(self, fqdn: str, value: str) -> None:
        fqdn = absolute(fqdn)
        update = self._update(self._zone_for(fqdn))
        update.add(fqdn, TTL, dns.rdatatype.TXT, quote_txt(value))
        self._send(update, f"adding TXT at {fqdn}")

    def cleanup(self, fqdn: str, value: str) -> None:
        fqdn = absolute(fqdn)
        update = self._update(self._zone_for(fqdn))
        update.delete(fqdn, dns.rdatatype.TXT, quote_txt(value))
        self._send(update, f"removing TXT at {fqdn}")
