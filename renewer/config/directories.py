"""Well-known ACME directory aliases, so configs say "letsencrypt", not a URL.

An alias is resolved once, at load time: everything downstream (account
cache keys, fingerprints, stored metadata) only ever sees the URL, so two
configs naming the same CA differently still share one account.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from renewer.config.convert import Field, plain
from renewer.config.domains import normalise_domain, show

ALIASES: dict[str, str] = {
    "letsencrypt": "https://acme-v02.api.letsencrypt.org/directory",
    "letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
    "zerossl": "https://acme.zerossl.com/v2/DV90",
    "google": "https://dv.acme-v02.api.pki.goog/directory",
    "google-staging": "https://dv.acme-v02.test-api.pki.goog/directory",
    "sslcom": "https://acme.ssl.com/sslcom-dv-ecc",
}

_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def resolve_directory(value: str) -> str:
    """Turn an alias or a URL into the directory URL; raise ValueError otherwise.

    Plain http is refused except on loopback: the directory hands out the
    nonce and order URLs, so a tampered one would redirect the whole account.
    Local test CAs (Pebble) are the only reason to allow it at all.
    """
    text = value.strip()
    if text.lower() in ALIASES:
        return ALIASES[text.lower()]
    try:
        parts = urlsplit(text)
        host, scheme = parts.hostname, parts.scheme.lower()
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        host, scheme = None, ""
    allowed = scheme == "https" or (scheme == "http" and host in _LOOPBACK)
    if host and allowed and not any(ch.isspace() for ch in text):
        return text
    if scheme == "http" and not allowed:
        problem = "uses plain http://, which is only allowed for 127.0.0.1 or localhost"
    elif "://" in text:
        problem = "is not an https:// URL with a host"
    else:
        problem = "is not a known alias"
    raise ValueError(
        f"ACME directory {show(text)} {problem}; use an https:// URL or one of: "
        + ", ".join(ALIASES)
    )


CAA_IDENTITIES = Field(
    "list",
    convert=plain(normalise_domain),
    default=(),
    unique=True,
    description=(
        "Issuer domain names that CAA records must allow for this CA (for example "
        "`letsencrypt.org`); default: the CA directory's `meta.caaIdentities`."
    ),
)
"""``acme.caa_identities``: for a CA whose directory does not publish its CAA names."""
