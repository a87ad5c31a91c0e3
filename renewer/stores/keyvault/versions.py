"""A Key Vault certificate's versions, for ``renewer verify`` (which version an endpoint serves).

One paged ``GET /certificates/{name}/versions`` call: each item carries the
version's SHA-1 thumbprint (``x5t``), its dates and its tags, which is what
an endpoint's served leaf is matched against. Key Vault's current version is
what ``GET /certificates/{name}`` returns; it is asked once more rather
than inferred from ``created`` (whole seconds, so two versions made in one
second would tie). The issuer chain is not in the listing (it lives in the
managed secret), so ``chain_der`` stays unknown and verify judges chain
completeness from the served chain alone.
"""

from __future__ import annotations

from datetime import UTC, datetime

from azure.core.exceptions import ResourceNotFoundError
from azure.keyvault.certificates import CertificateClient, CertificateProperties

from renewer.stores.contract import StoredVersion
from renewer.stores.keyvault.policy import TAG_SERIAL

_EPOCH = datetime.min.replace(tzinfo=UTC)


def list_versions(client: CertificateClient, name: str) -> tuple[StoredVersion, ...]:
    """Merged versions of ``name``, newest first; () if the certificate does not exist."""
    try:
        listed = list(client.list_properties_of_certificate_versions(name))
        latest = client.get_certificate(name).properties
    except ResourceNotFoundError:
        return ()
    current = latest.version if latest is not None else None
    merged = [p for p in listed if p.x509_thumbprint and p.expires_on and p.version]
    merged.sort(key=lambda p: (p.created_on or _EPOCH, p.version == current), reverse=True)
    return tuple(_version(props, props.version == current) for props in merged)


def _version(props: CertificateProperties, current: bool) -> StoredVersion:
    assert props.expires_on is not None and props.x509_thumbprint is not None  # filtered above
    return StoredVersion(
        version=str(props.version),
        sha1=bytes(props.x509_thumbprint).hex(),
        not_after=props.expires_on,
        created=props.created_on or props.not_before or _EPOCH,
        current=current,
        serial=(props.tags or {}).get(TAG_SERIAL) or None,
        not_before=props.not_before,
    )
