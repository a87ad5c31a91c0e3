"""Which version of a listed certificate is the one renewer manages.

Real Key Vault makes a version at create time: disabled, with nbf/exp from
the policy's validity (12 months by default) and no ``x5t`` until a merge
(REST spec ``CreateCertificate``; SDK recordings of ``begin_create_certificate``
with issuer ``Unknown``), and that version survives deleting the operation.
When it is the listed current item, its tags are the create request's (none
from renewer) and its dates look like a fresh certificate: read at face
value it would be "unmanaged" (renewer would stop renewing and the real
certificate would expire silently) or "valid for a year". So an item that is
disabled or has no thumbprint resolves, with one versions listing, to the
newest enabled, merged version: renewer's if any, else whatever is there.
"""

from __future__ import annotations

from datetime import UTC, datetime

from azure.keyvault.certificates import CertificateClient, CertificateProperties

from renewer.stores.keyvault.listing import Listed
from renewer.stores.keyvault.policy import MANAGED_BY, MANAGED_VALUE

_EPOCH = datetime.min.replace(tzinfo=UTC)


def in_flight(props: Listed) -> bool:
    """A placeholder or otherwise unusable current item (disabled, or never merged)."""
    return props.enabled is False or not props.x509_thumbprint


def resolve(certs: CertificateClient, name: str) -> CertificateProperties | None:
    """The newest enabled, merged version: renewer's first; None if there is none."""
    listed = list(certs.list_properties_of_certificate_versions(name))
    # Newest first; listed order (oldest first) breaks ties of the same second.
    usable = [v for v in reversed(listed) if v.enabled is not False and v.x509_thumbprint]
    usable.sort(key=lambda v: v.created_on or _EPOCH, reverse=True)
    ours = [v for v in usable if (v.tags or {}).get(MANAGED_BY) == MANAGED_VALUE]
    if ours:
        return ours[0]
    return usable[0] if usable else None
