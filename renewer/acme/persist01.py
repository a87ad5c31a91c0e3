"""The dns-persist-01 challenge for certbot's ``acme`` library, without forking it.

The library keeps a registry of challenge types (``Challenge.TYPES``) and
answers unknown ones with ``UnrecognizedChallenge``. Registering these two
classes makes authorizations decode a ``dns-persist-01`` entry with its
``issuer-domain-names`` (and Pebble's ``accounturi``), and gives the empty
``{}`` response the draft asks for. Import this module before decoding
authorizations (renewer.execute.order does).
"""

from __future__ import annotations

from typing import Any

from acme import challenges
from josepy.json_util import field

TYPE = "dns-persist-01"


@challenges.ChallengeResponse.register
class DNSPersist01Response(challenges.ChallengeResponse):
    """The response is an empty JSON object (``type`` is dropped by the base class)."""

    typ = TYPE

    def __bool__(self) -> bool:
        # A field-less object has len() 0; the library would then send an empty
        # POST-as-GET body instead of ``{}`` and never start the validation.
        return True


@challenges.Challenge.register
class DNSPersist01(challenges.Challenge):
    """dns-persist-01: no token; the CA names the issuer domain names it accepts."""

    typ = TYPE
    issuer_domain_names: tuple[str, ...] = field(
        "issuer-domain-names", omitempty=True, default=(), decoder=tuple
    )
    accounturi: str | None = field("accounturi", omitempty=True)

    def response(self) -> DNSPersist01Response:
        return DNSPersist01Response()

    def to_partial_json(self) -> dict[str, Any]:
        jobj: dict[str, Any] = super().to_partial_json()
        jobj["issuer-domain-names"] = list(self.issuer_domain_names)
        return jobj
