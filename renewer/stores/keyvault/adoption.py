"""Adopting a vault certificate another tool issued: renewer's tags, nothing else.

Consumers (the Key Vault VM extension, App Gateway, App Service) watch the
certificate's name, most of them through the versionless secret URL
``https://<vault>/secrets/<name>``. Adoption therefore never deletes, renames or
re-imports: it PATCHes the tags of the current version (REST
``UpdateCertificate``: "Updates the specified attributes associated with the
given certificate"; the certificate, key and linked secret stay as they are),
and the next renewal creates a new version of the same name (REST
``CreateCertificate``: "If this is the first version, the certificate resource
is created"; otherwise a new version), whose merge makes it current.
"""

from __future__ import annotations

import logging

from azure.keyvault.certificates import CertificateClient, CertificateProperties
from cryptography import x509

from renewer.core.models import CertificateSpec, StoredCertificate
from renewer.stores.contract import StoreError
from renewer.stores.keyvault.policy import adoption_tags, stored_from_properties

log = logging.getLogger(__name__)


def write_adoption(
    certs: CertificateClient,
    spec: CertificateSpec,
    found: tuple[CertificateProperties, x509.Certificate] | None,
    where: str,
) -> StoredCertificate:
    """Replace the current version's tags with renewer's (the other tool's are dropped).

    ``found`` is the current version's properties and leaf. Nothing is written when
    that version is already renewer's. Returns what was there before.
    """
    stored = stored_from_properties(*found) if found else None
    if found is None or stored is None:
        raise StoreError(f"{where}: no certificate named {spec.name} to adopt")
    if stored.managed:
        return stored
    certs.update_certificate_properties(
        spec.name, found[0].version, tags=adoption_tags(spec, stored)
    )
    who = stored.foreign.words() if stored.foreign else "another tool"
    log.info("%s: adopted (issued by %s); renewer's tags written", spec.name, who)
    return stored
