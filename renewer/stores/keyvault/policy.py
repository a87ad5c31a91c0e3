"""What renewer writes into Key Vault besides the chain: the policy and the tags.

Pure functions, no I/O: the certificate policy for a spec, the tags that let
the next run plan from one paged list (no per-certificate GET), and the way
back from a listed certificate's properties to a StoredCertificate.

Tags: Key Vault allows 15 per object and 256 characters per value. renewer
always writes four (``managed-by``, fingerprint, serial, ARI id), then the
user's tags from the config (at most 10), then as many of its optional tags
as still fit, in this order: revoked, directory, the remembered renewal
window, key, profile, domains. The optional ones only explain a plan or
enable ARI (the window spares the next runs a question to the CA,
renewer.core.renewal_window); the fingerprint alone decides whether the
configuration changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from azure.keyvault.certificates import (
    CertificateContentType,
    CertificatePolicy,
    KeyCurveName,
    KeyType,
    KeyUsageType,
    WellKnownIssuerNames,
)
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from renewer.core import renewal_window
from renewer.core.adoption import as_issued
from renewer.core.certs import IssuedChain, ari_cert_id, key_name, san_names
from renewer.core.models import HSM_SUFFIX, CertificateSpec, RenewalInfo, StoredCertificate
from renewer.stores.keyvault.foreign import read_foreign
from renewer.stores.keyvault.listing import Listed

MANAGED_BY = "managed-by"
MANAGED_VALUE = "renewer"
TAG_FINGERPRINT = "renewer-fingerprint"
TAG_SERIAL = "renewer-serial"
TAG_ARI = "renewer-ari-id"
TAG_REVOKED = "renewer-revoked"
TAG_DIRECTORY = "renewer-directory"
TAG_KEY = "renewer-key"
TAG_PROFILE = "renewer-profile"
TAG_DOMAINS = "renewer-domains"
TAG_WINDOW = "renewer-ari-window"

ESSENTIAL_TAGS = (MANAGED_BY, TAG_FINGERPRINT, TAG_SERIAL, TAG_ARI)
OPTIONAL_TAGS = (TAG_REVOKED, TAG_DIRECTORY, TAG_WINDOW, TAG_KEY, TAG_PROFILE, TAG_DOMAINS)
RENEWER_TAGS = frozenset(ESSENTIAL_TAGS + OPTIONAL_TAGS)
MAX_TAGS = 15
MAX_TAG_VALUE = 256
HASHED_PREFIX = "sha256:"
SERVER_AUTH = "1.3.6.1.5.5.7.3.1"
MAX_CN = 64

CONTENT_TYPES: dict[str, CertificateContentType] = {
    "pkcs12": CertificateContentType.pkcs12,
    "pem": CertificateContentType.pem,
}
_CURVES = {
    "ec-p256": (KeyCurveName.p_256, "secp256r1"),
    "ec-p384": (KeyCurveName.p_384, "secp384r1"),
}


def is_hsm(key: str) -> bool:
    return key.endswith(HSM_SUFFIX)


def key_type(key: str) -> KeyType:
    """Key Vault's kty for one of renewer's key types (``-hsm`` -> EC-HSM / RSA-HSM)."""
    base = key.removesuffix(HSM_SUFFIX)
    if base.startswith("ec-"):
        return KeyType.ec_hsm if is_hsm(key) else KeyType.ec
    return KeyType.rsa_hsm if is_hsm(key) else KeyType.rsa


def build_policy(spec: CertificateSpec, exportable: bool, content_type: str) -> CertificatePolicy:
    """The policy for a CSR made in the vault and merged later (issuer ``Unknown``).

    HSM keys are never exportable (the vault would need a key release policy).
    No validity and no auto-renewal: the ACME CA decides the lifetime and
    renewer renews.
    """
    base = spec.key.removesuffix(HSM_SUFFIX)
    kty = key_type(spec.key)
    curve = _CURVES[base][0] if base in _CURVES else None
    size = None if curve is not None else int(base.removeprefix("rsa-"))
    usage = [KeyUsageType.digital_signature]
    if kty in (KeyType.rsa, KeyType.rsa_hsm):
        usage.append(KeyUsageType.key_encipherment)
    first = spec.domains[0]
    return CertificatePolicy(
        issuer_name=WellKnownIssuerNames.unknown,
        subject=f"CN={first}" if len(first) <= MAX_CN else None,
        san_dns_names=list(spec.domains),
        key_type=kty,
        key_size=size,
        key_curve_name=curve,
        exportable=exportable and not is_hsm(spec.key),
        reuse_key=False,
        content_type=CONTENT_TYPES[content_type],
        key_usage=usage,
        enhanced_key_usage=[SERVER_AUTH],
    )


def _plain(value: object) -> str:
    """An SDK enum member or a plain string as its wire value ("EC", "application/x-pkcs12")."""
    return str(getattr(value, "value", value) or "")


def policy_matches(current: CertificatePolicy, wanted: CertificatePolicy) -> bool:
    """True when a pending operation's policy would give the certificate we want."""
    return (
        _plain(current.key_type) == _plain(wanted.key_type)
        and bool(current.exportable) == bool(wanted.exportable)
        and _plain(current.content_type or CertificateContentType.pkcs12)
        == _plain(wanted.content_type)
    )


def csr_matches(csr: x509.CertificateSigningRequest, spec: CertificateSpec) -> bool:
    """True when a CSR asks for exactly the spec's names with the spec's key type."""
    try:
        ext = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        names = set(ext.value.get_values_for_type(x509.DNSName))
    except x509.ExtensionNotFound:
        names = set()
    if {n.lower() for n in names} != {d.lower() for d in spec.domains}:
        return False
    public = csr.public_key()
    base = spec.key.removesuffix(HSM_SUFFIX)
    if base in _CURVES:
        return isinstance(public, ec.EllipticCurvePublicKey) and (
            public.curve.name == _CURVES[base][1]
        )
    return isinstance(public, rsa.RSAPublicKey) and f"rsa-{public.key_size}" == base


# -- tags ----------------------------------------------------------------------------------
def directory_tag(url: str) -> str:
    """The CA URL, or its hash when it does not fit in a tag value."""
    if len(url) <= MAX_TAG_VALUE:
        return url
    return HASHED_PREFIX + hashlib.sha256(url.encode()).hexdigest()


def renewer_tags(spec: CertificateSpec, chain: IssuedChain) -> dict[str, str]:
    """Everything the next plan needs, from the spec and the issued leaf."""
    tags = {
        MANAGED_BY: MANAGED_VALUE,
        TAG_FINGERPRINT: spec.fingerprint(),
        TAG_SERIAL: chain.serial,
        TAG_ARI: chain.ari_cert_id or "",
        TAG_DIRECTORY: directory_tag(spec.acme.directory),
        TAG_KEY: spec.key,
    }
    if spec.acme.profile:
        tags[TAG_PROFILE] = spec.acme.profile
    domains = ",".join(chain.domains or spec.domains)
    if len(domains) <= MAX_TAG_VALUE:
        tags[TAG_DOMAINS] = domains
    window = renewal_window.encode(chain.renewal_info) if chain.renewal_info else None
    if window:
        tags[TAG_WINDOW] = window
    return {k: v for k, v in tags.items() if v and len(v) <= MAX_TAG_VALUE}


def adoption_tags(spec: CertificateSpec, stored: StoredCertificate) -> dict[str, str]:
    """renewer's tags for a version another tool issued, describing what that version is.

    The fingerprint is that of the leaf as it is (its names, key type, CA), not of
    the spec: when they differ the next plan renews and says why, as for any
    config change. The other tool's tags are not carried over, so its renewal
    loop no longer selects the certificate (foreign.py).
    """
    issued = as_issued(spec, stored)
    ours = {
        MANAGED_BY: MANAGED_VALUE,
        TAG_FINGERPRINT: issued.fingerprint(),
        TAG_SERIAL: stored.serial,
        TAG_ARI: stored.ari_cert_id or "",
        TAG_DIRECTORY: directory_tag(issued.acme.directory),
        TAG_KEY: issued.key,
        TAG_PROFILE: spec.acme.profile or "",
        TAG_DOMAINS: ",".join(issued.domains),
    }
    return fit_tags({k: v for k, v in ours.items() if v and len(v) <= MAX_TAG_VALUE}, spec.tags)


def fit_tags(ours: Mapping[str, str], user: Mapping[str, str]) -> dict[str, str]:
    """Essential renewer tags, then the user's, then optional renewer tags while room is left."""
    result = {k: ours[k] for k in ESSENTIAL_TAGS if k in ours}
    for name, value in user.items():
        if name not in RENEWER_TAGS and len(result) < MAX_TAGS:
            result[name] = value[:MAX_TAG_VALUE]
    for name in OPTIONAL_TAGS:
        if name in ours and len(result) < MAX_TAGS:
            result[name] = ours[name]
    return result


def with_revoked(tags: Mapping[str, str]) -> dict[str, str]:
    """The same tags plus ``renewer-revoked=true``, dropping optional ones if needed."""
    result = dict(tags)
    result[TAG_REVOKED] = "true"
    for name in reversed(OPTIONAL_TAGS[1:]):
        if len(result) <= MAX_TAGS:
            break
        result.pop(name, None)
    return result


def with_window(tags: Mapping[str, str], info: RenewalInfo) -> dict[str, str] | None:
    """The same tags with the window remembered; None when all 15 are taken by others."""
    window = renewal_window.encode(info)
    if window is None or (TAG_WINDOW not in tags and len(tags) >= MAX_TAGS):
        return None
    return {**tags, TAG_WINDOW: window}


# -- reading back --------------------------------------------------------------------------
def stored_from_properties(
    props: Listed, leaf: x509.Certificate | None = None
) -> StoredCertificate | None:
    """A StoredCertificate from listed properties (and, after a GET, the leaf itself).

    None for a certificate without validity dates (still pending, never merged).
    """
    if props.not_before is None or props.expires_on is None or not props.name:
        return None
    tags = dict(props.tags or {})
    managed = tags.get(MANAGED_BY) == MANAGED_VALUE
    foreign = read_foreign(tags)
    if not managed:
        # Another tool's (or a person's) certificate: what it is, read from the leaf when
        # one was fetched, so an adoption can say what changes (names, key type).
        return StoredCertificate(
            name=props.name,
            not_before=props.not_before,
            not_after=props.expires_on,
            serial=format(leaf.serial_number, "x") if leaf is not None else "",
            domains=san_names(leaf) if leaf is not None else None,
            key=key_name(leaf) if leaf is not None else None,
            ari_cert_id=(ari_cert_id(leaf) if leaf is not None else None)
            or (foreign.certificate_id if foreign else None),
            version=props.version,
            managed=False,
            foreign=foreign,
        )
    directory = tags.get(TAG_DIRECTORY)
    domains_tag = tags.get(TAG_DOMAINS)
    domains = tuple(d for d in domains_tag.split(",") if d) if domains_tag else None
    serial = tags.get(TAG_SERIAL, "")
    ari = tags.get(TAG_ARI) or None
    if leaf is not None:
        serial = format(leaf.serial_number, "x")
        domains = san_names(leaf) or domains
        ari = ari_cert_id(leaf) or ari
    return StoredCertificate(
        name=props.name,
        not_before=props.not_before,
        not_after=props.expires_on,
        serial=serial,
        fingerprint=tags.get(TAG_FINGERPRINT),
        domains=domains,
        key=tags.get(TAG_KEY),
        profile=tags.get(TAG_PROFILE),
        directory=None if not directory or directory.startswith(HASHED_PREFIX) else directory,
        ari_cert_id=ari,
        version=props.version,
        managed=True,
        revoked=tags.get(TAG_REVOKED, "").lower() == "true",
        renewal_info=renewal_window.decode(tags.get(TAG_WINDOW)),
        foreign=foreign,  # left over after an adoption: doctor warns (acmebot would renew it)
    )


def stored_from_chain(
    spec: CertificateSpec, chain: IssuedChain, version: str | None
) -> StoredCertificate:
    """What the vault now holds, right after a merge or import of ``chain``."""
    return StoredCertificate(
        name=spec.name,
        not_before=chain.not_before,
        not_after=chain.not_after,
        serial=chain.serial,
        fingerprint=spec.fingerprint(),
        domains=chain.domains or spec.domains,
        key=spec.key,
        profile=spec.acme.profile,
        directory=spec.acme.directory,
        ari_cert_id=chain.ari_cert_id,
        version=version,
        renewal_info=chain.renewal_info,
    )
