"""An example renewer DNS plugin: single TXT values by TSIG-signed RFC 2136 updates.

renewer calls ``make_provider`` with the certificate's ``dns:`` mapping minus
``type`` and ``propagation``; ``env:NAME`` values arrive already resolved.
The returned object needs ``present`` and ``cleanup`` (``describe`` is
optional). Each adds or removes exactly one value at the name, never the
whole set: an apex and its wildcard share ``_acme-challenge.<apex>``.
Raise any exception with a one-line message on failure; renewer reports it
for the certificate and carries on with the others.

    dns:
      type: example-nsupdate
      server: 192.0.2.53:53
      zone: example.com
      key_name: acme-key
      key_secret: env:NSUPDATE_SECRET
"""

from __future__ import annotations

from typing import Any

import dns.name
import dns.query
import dns.rcode
import dns.tsigkeyring
import dns.update

REQUIRED = ("server", "zone", "key_name", "key_secret")


class NsupdateProvider:
    def __init__(self, server: str, zone: str, key_name: str, key_secret: str) -> None:
        host, _, port = server.rpartition(":")
        self.host, self.port = (host, int(port)) if host else (server, 53)
        self.zone = zone.rstrip(".") + "."
        self.keyring = dns.tsigkeyring.from_text({key_name: key_secret})
        self.key_name = key_name

    def describe(self) -> str:
        return f"nsupdate {self.host}:{self.port} zone {self.zone}"

    def _send(self, change: str, fqdn: str, value: str) -> None:
        update = dns.update.UpdateMessage(
            self.zone, keyring=self.keyring, keyname=dns.name.from_text(self.key_name)
        )
        quoted = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if change == "add":
            update.add(fqdn, 60, "TXT", quoted)
        else:
            update.delete(fqdn, "TXT", quoted)  # this one value only
        answer = dns.query.tcp(update, self.host, port=self.port, timeout=10)
        if answer.rcode() != dns.rcode.NOERROR:
            raise RuntimeError(
                f"{self.describe()} refused the update: {dns.rcode.to_text(answer.rcode())}"
            )

    def present(self, fqdn: str, value: str) -> None:
        self._send("add", fqdn, value)

    def cleanup(self, fqdn: str, value: str) -> None:
        self._send("delete", fqdn, value)


def make_provider(settings: dict[str, Any]) -> NsupdateProvider:
    missing = [key for key in REQUIRED if key not in settings]
    if missing:
        raise ValueError(f"missing settings: {', '.join(missing)}")
    return NsupdateProvider(
        str(settings["server"]),
        str(settings["zone"]),
        str(settings["key_name"]),
        str(settings["key_secret"]),
    )
