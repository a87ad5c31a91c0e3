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

from renewer.core.models import CertificateSpec, StoredCertificate
from renewer.stores.keyvault.policy import adoption_tags

log = logging.getLogger(__name__)


def write_adoption(
    certs: CertificateClient,
    spec: CertificateSpec,
    props: CertificateProperties,
    stored: StoredCertificate,
) -> None:
    """Replace the current version's tags with renewer's (the other tool's are dropped).

    Nothing is written when the version is already renewer's.
    """
    if stored.managed:
        return
    certs.update_certificate_properties(spec.name, props.version, tags=adoption_tags(spec, stored))
    who = stored.foreign.words() if stored.foreign else "another tool"
    log.info("%s: adopted (issued by %s); renewer's tags written", spec.name, who)
