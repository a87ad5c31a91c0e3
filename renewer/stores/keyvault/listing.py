"""The certificate listing, read straight from the REST answer.

A no-op plan is one paged listing, and for every item the SDK's
``list_properties_of_certificates`` builds a generated ``CertificateItem``,
then a ``CertificateProperties`` from it, and deserializes each attribute
again on every read: most of the CPU of a 5,000-certificate plan went there
(bench/results.md). The same GETs go through the client's own pipeline here
(``CertificateClient.send_request``: the same challenge auth, retry and
transport as every other call, the client's api-version), and the JSON is
read directly. REST spec ``GetCertificates``: ``{"value": [CertificateItem],
"nextLink": url | null}``; a CertificateItem has ``id``
(``https://{vault}/certificates/{name}``, no version), ``x5t`` (base64url
SHA-1), ``attributes`` (``enabled``, ``nbf``/``exp`` in Unix seconds, …) and
``tags``.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from azure.core.rest import HttpRequest
from azure.keyvault.certificates import CertificateClient, CertificateProperties

MAX_PAGES = 100_000  # a nextLink loop in a broken answer ends here, not never


@dataclass(frozen=True)
class ListedCertificate:
    """One listed item, with the attribute names of the SDK's CertificateProperties."""

    name: str
    enabled: bool | None
    x509_thumbprint: bytes | None
    not_before: datetime | None
    expires_on: datetime | None
    tags: Mapping[str, str] | None
    version: str | None = None  # the listing names no version


Listed = CertificateProperties | ListedCertificate
"""What planning reads a certificate's facts from: a listed item or the SDK's properties."""


def list_certificates(certs: CertificateClient) -> Iterator[ListedCertificate]:
    """Every listed certificate, page by page (25 per page unless the vault says otherwise)."""
    url: str | None = "/certificates"
    for _ in range(MAX_PAGES):
        if not url:
            return
        response = certs.send_request(HttpRequest("GET", url))
        response.raise_for_status()
        body = response.json()
        for item in body.get("value") or ():
            listed = parse_item(item)
            if listed is not None:
                yield listed
        url = body.get("nextLink")


def parse_item(item: Any) -> ListedCertificate | None:
    """A CertificateItem's facts; None for an item without a usable id."""
    if not isinstance(item, dict):
        return None
    parts = urlsplit(str(item.get("id") or "")).path.strip("/").split("/")
    if len(parts) < 2 or parts[0] != "certificates" or not parts[1]:
        return None
    found = item.get("attributes")
    attributes: dict[str, Any] = found if isinstance(found, dict) else {}
    tags = item.get("tags")
    return ListedCertificate(
        name=parts[1],
        enabled=attributes.get("enabled"),
        x509_thumbprint=_thumbprint(item.get("x5t")),
        not_before=_epoch(attributes.get("nbf")),
        expires_on=_epoch(attributes.get("exp")),
        tags={str(k): str(v) for k, v in tags.items()} if isinstance(tags, dict) else None,
    )


def _epoch(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return datetime.fromtimestamp(value, UTC)


def _thumbprint(value: Any) -> bytes | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_", validate=True)
    except ValueError:
        return None
