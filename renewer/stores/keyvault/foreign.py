"""Reading what another tool left on a vault certificate: keyvault-acmebot's tags.

Migrating users keep their certificates' names (a Key Vault VM extension, an
App Gateway listener or an App Service binding points at the name), so the
first thing renewer meets is a same-name certificate acmebot issued. Its tags
say so, in one of two styles (read from acmebot's source, not copied):

- v4 (shibayan/keyvault-acmebot ``CertificateExtensions``): three tags,
  ``Issuer=Acmebot``, ``Endpoint=<ACME host>``, ``DnsProvider=<provider name>``
  (``DnsAlias`` optionally).
- v5 (polymind-inc/acmebot ``CertificateExtensions``): one tag ``Acmebot``
  holding JSON ``{"endpoint", "dnsProvider", "dnsAlias", "certificateId"}``;
  ``certificateId`` is the RFC 9773 certID of the merged leaf.

Its daily renewal loop (``GetRenewalCertificates``) lists the vault and
selects a certificate when ``IsIssuedByAcmebot`` (the ``Acmebot`` tag exists,
or ``Issuer`` is ``Acmebot``) and ``IsSameEndpoint`` (the recorded endpoint's
host is the host of its configured ``Endpoint``). So while either tag is on the
current version, acmebot would renew it too; renewer's own tags replace them.

Pure: tags in, facts out; nothing here talks to a vault.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from renewer.core.models import ForeignIssuer

ACMEBOT = "acmebot"
V5_TAG = "Acmebot"
V4_ISSUER = "Issuer"
V4_ISSUER_VALUE = "Acmebot"
V4_ENDPOINT = "Endpoint"
V4_DNS_PROVIDER = "DnsProvider"
V4_DNS_ALIAS = "DnsAlias"
ACMEBOT_TAGS = frozenset({V5_TAG, V4_ISSUER, V4_ENDPOINT, V4_DNS_PROVIDER, V4_DNS_ALIAS})
"""Every tag acmebot writes; an adoption drops them so its loop no longer selects the name."""


UNSAFE = re.compile(r"[^A-Za-z0-9._: -]")
MAX_WORD = 100


def _word(value: str | None) -> str | None:
    """A tag value reduced to a plain word: it reaches plans, Markdown and chat messages,
    and whoever can tag the vault chose it, so nothing but name characters survive."""
    if not value:
        return None
    return " ".join(UNSAFE.sub(" ", value).split())[:MAX_WORD] or None


def _host(endpoint: str | None) -> str | None:
    """acmebot records a host (``acme-v02.api.letsencrypt.org``); old v4 tags held a URL."""
    if not endpoint:
        return None
    text = endpoint.strip()
    try:
        host = urlsplit(text).hostname if "://" in text else text
    except ValueError:
        return None
    word = _word(host)
    return word.replace(" ", "") if word else None


def _v5(value: str) -> dict[str, str]:
    try:
        found = json.loads(value)
    except ValueError:
        return {}
    if not isinstance(found, dict):
        return {}
    return {str(k): str(v) for k, v in found.items() if isinstance(v, str) and v}


def read_foreign(tags: Mapping[str, str] | None) -> ForeignIssuer | None:
    """The tool that issued this version, from its tags; None when no known tool's tags."""
    tags = tags or {}
    # acmebot reads its v5 tag first and falls back to the v4 tags (its GetAcmebotMetadata).
    if V5_TAG in tags:
        meta = _v5(tags[V5_TAG])
        selected = [V5_TAG]
        if tags.get(V4_ISSUER) == V4_ISSUER_VALUE:
            selected.append(V4_ISSUER)
        return ForeignIssuer(
            tool=ACMEBOT,
            style="v5 tag",
            endpoint=_host(meta.get("endpoint")),
            dns_provider=_word(meta.get("dnsProvider")),
            certificate_id=_word(meta.get("certificateId")),
            selected_by=tuple(selected),
        )
    if tags.get(V4_ISSUER) == V4_ISSUER_VALUE:
        return ForeignIssuer(
            tool=ACMEBOT,
            style="v4 tags",
            endpoint=_host(tags.get(V4_ENDPOINT)),
            dns_provider=_word(tags.get(V4_DNS_PROVIDER)),
            selected_by=(V4_ISSUER,),
        )
    return None


def same_host(endpoint: str | None, directory: str) -> bool:
    """Whether the recorded ACME host is the host of this directory URL (acmebot's test)."""
    return bool(endpoint) and endpoint == (urlsplit(directory).hostname or "")


def without_foreign(tags: Mapping[str, str]) -> dict[str, str]:
    """The tags minus every acmebot tag (user tags and renewer's stay)."""
    return {k: v for k, v in tags.items() if k not in ACMEBOT_TAGS}
