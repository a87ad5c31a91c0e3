"""Names and addresses in a config: DNS names as a CA accepts them, host:port, URLs, e-mail.

Every check here is one a CA would otherwise make at order time, after DNS
records were written and rate limits spent; failing at load time costs nothing
and points at the line. Names leave this module as lowercase A-labels, so
"Bücher.example" and "xn--bcher-kva.example" compare equal everywhere else.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

import idna

MAX_NAME = 253
MAX_LABEL = 63
_LDH = re.compile(r"[a-z0-9-]+")
_ZONE_LABEL = re.compile(r"[a-z0-9_-]+")  # zones and key names may hold "_acme-challenge"
_WILDCARD = "a wildcard is allowed only as the whole leftmost label (as in *.example.com)"


# The everyday name (LDH labels, a last label starting with a letter, no "--"
# anywhere, so no A-label to decode): accepted by one regex match. `validate`
# of 50,000 certificates spent a third of its time on the label-by-label
# checks below, which still decide every other name.
_PLAIN_NAME = re.compile(
    r"(?:\*\.)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?"
)


def normalise_domain(text: str) -> str:
    """The lowercase A-label form of a certificate name; ValueError if a CA would refuse it."""
    name = text.strip().lower()
    if len(name) <= MAX_NAME and "--" not in name and _PLAIN_NAME.fullmatch(name):
        return name
    if not name:
        raise ValueError("a domain name must not be empty")
    if name.endswith("."):
        raise ValueError(f"domain {show(text)} must not end with a dot")
    if _is_ip(name):
        raise ValueError(f"{show(text)} is an IP address; only DNS names are allowed")
    wildcard = name.startswith("*.")
    base = name[2:] if wildcard else name
    if "*" in base:
        raise ValueError(f"domain {show(text)}: {_WILDCARD}")
    ascii_name = _to_ascii(base, text)
    labels = ascii_name.split(".")
    if len(labels) < 2:
        what = "the part after '*.'" if wildcard else "a domain"
        raise ValueError(f"domain {show(text)}: {what} needs at least two labels (example.com)")
    for label in labels:
        _check_label(label, text, _LDH, "letters, digits and hyphens")
    if labels[-1].isdigit():
        raise ValueError(f"domain {show(text)}: the last label must not be all digits")
    result = ("*." if wildcard else "") + ascii_name
    if len(result) > MAX_NAME:
        raise ValueError(f"domain {show(text)} is longer than {MAX_NAME} characters")
    return result


def normalise_zone(text: str) -> str:
    """Normalise a zone or TSIG key name: one label is fine, a trailing dot is kept.

    Unlike certificate names, a zone may be relative ("example") or absolute
    ("example."), and may contain underscores ("_acme-challenge.example.com").
    """
    name = text.strip().lower()
    absolute = name.endswith(".")
    base = name[:-1] if absolute else name
    if not base:
        raise ValueError("a zone name must not be empty")
    ascii_name = _to_ascii(base, text)
    for label in ascii_name.split("."):
        _check_label(label, text, _ZONE_LABEL, "letters, digits, hyphens and underscores")
    if len(ascii_name) > MAX_NAME:
        raise ValueError(f"name {show(text)} is longer than {MAX_NAME} characters")
    return ascii_name + ("." if absolute else "")


def parse_host_port(text: str, default_port: int = 53) -> str:
    """Normalise "host", "host:port", "[v6]:port" or a bare IPv6 address to "host:port".

    IPv6 hosts come back bracketed ("[::1]:53") so consumers can always split
    on the last colon.
    """
    value = text.strip()
    port_text = ""
    if value.startswith("["):
        match = re.fullmatch(r"\[([^\]]*)\](?::(.*))?", value)
        if not match or not _is_ip(match.group(1), version=6):
            raise ValueError(f"{show(text)} is not a valid [IPv6]:port address")
        host, port_text = match.group(1), match.group(2) or ""
    elif value.count(":") > 1:
        if not _is_ip(value, version=6):
            raise ValueError(f"{show(text)} is not a valid host:port address")
        host = value
    else:
        host, _, port_text = value.partition(":")
        if not host:
            raise ValueError(f"{show(text)} has no host")
        if not _is_ip(host):
            host = normalise_zone(host).rstrip(".")
    port = default_port
    if port_text or value.endswith(":"):
        if not (port_text.isascii() and port_text.isdigit()) or not 1 <= int(port_text) <= 65535:
            raise ValueError(f"{show(text)}: the port must be a number from 1 to 65535")
        port = int(port_text)
    if ":" in host:
        return f"[{ipaddress.ip_address(host).compressed}]:{port}"
    return f"{host}:{port}"


def split_host_port(text: str, default_port: int = 53) -> tuple[str, int]:
    """(host, port) of anything ``parse_host_port`` accepts; IPv6 hosts come back unbracketed."""
    host, _, port = parse_host_port(text, default_port).rpartition(":")
    return host.removeprefix("[").removesuffix("]"), int(port)


def normalise_email(text: str) -> str:
    """ACME wants "mailto:" URIs, people write bare addresses: accept both, return the URI."""
    address = text.strip()
    if address.lower().startswith("mailto:"):
        address = address[len("mailto:") :]
    local, at, domain = address.rpartition("@")
    if not at or not local or re.search(r"[\s,;<>@\"]", local) or "*" in domain:
        raise ValueError(f"{show(text)} is not an email address like ops@example.com")
    try:
        return f"mailto:{local}@{normalise_domain(domain)}"
    except ValueError:
        raise ValueError(f"{show(text)} has an invalid domain after '@'") from None


def check_url(text: str, schemes: tuple[str, ...]) -> str:
    """A URL with one of ``schemes`` and a host, without credentials; trailing "/" dropped."""
    value = text.strip()
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ValueError(f"{show(text)} is not a valid URL") from None
    if parts.scheme.lower() not in schemes or not parts.hostname:
        wanted = " or ".join(f"{scheme}://" for scheme in schemes)
        raise ValueError(f"{show(text)} must be a URL starting with {wanted}, with a host")
    if parts.query or parts.fragment or parts.username or any(c.isspace() for c in value):
        raise ValueError(f"{show(text)} must not contain credentials, a query or a fragment")
    return value.rstrip("/")


def is_loopback_host(host: str) -> bool:
    """127.0.0.0/8, ::1 or the name ``localhost``: traffic that never leaves this machine."""
    name = host.strip().strip("[]").lower().rstrip(".")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def safe_for_credentials(url: str) -> bool:
    """True for an https:// URL with a host, or an http:// one to loopback (see below)."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
    except ValueError:
        return False
    scheme = parts.scheme.lower()
    return bool(host) and (scheme == "https" or (scheme == "http" and is_loopback_host(host)))


def check_credential_url(text: str) -> str:
    """A URL a credential travels to (a token header, a signed request, a secret path).

    https only: over plain http anyone on the path reads the credential and can
    replay it. Loopback is the one exception (test stand-ins and local servers),
    because that traffic never leaves the machine.
    """
    value = check_url(text, ("http", "https"))
    if not safe_for_credentials(value):
        raise ValueError(
            f"{show(text)} uses plain http://, but a credential is sent to it: use https:// "
            "(http:// is allowed only for loopback: 127.0.0.0/8, ::1, localhost)"
        )
    return value


def normalise_uuid(text: str) -> str:
    """A subscription ID in its canonical lowercase 8-4-4-4-12 form."""
    value = text.strip()
    if not re.fullmatch(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}", value):
        raise ValueError(f"{show(text)} is not a UUID like 00000000-0000-0000-0000-000000000000")
    return value.lower()


_CERTIFICATE_NAME = re.compile(r"[0-9A-Za-z-]{1,127}")
LOCK_PREFIX = "renewer-lock-"
"""The vault secret that holds a certificate's lease (stores/keyvault/lease.py)."""
ACCOUNT_PREFIX = "renewer-acme-account-"
"""The vault secret that holds an ACME account key (stores/keyvault/account.py)."""
RESERVED_PREFIXES = (LOCK_PREFIX, ACCOUNT_PREFIX)
"""Name prefixes of renewer's own vault objects, which no certificate may take.

Key Vault certificates and secrets share one namespace (a certificate owns the
secret of its name), so a certificate called ``renewer-lock-api`` would be the
lease secret of certificate ``api``: the lease would read (and overwrite) that
certificate's private key. Compared without case, as Key Vault compares names.
"""


def check_certificate_name(text: str) -> str:
    """Key Vault's name rule, applied to every store so a config can move between them."""
    if not _CERTIFICATE_NAME.fullmatch(text):
        raise ValueError(
            f"{show(text)} is not a valid certificate name: use 1 to 127 letters, "
            "digits and hyphens (Key Vault's rule)"
        )
    for prefix in RESERVED_PREFIXES:
        if text.lower().startswith(prefix):
            raise ValueError(
                f"{show(text)} starts with {prefix!r}, a prefix renewer reserves for its own "
                "vault secrets (leases and ACME account keys): choose another name"
            )
    return text


def _to_ascii(name: str, original: str) -> str:
    """IDNA 2008 (UTS 46 mapping) for non-ASCII names; ASCII passes through untouched."""
    if name.isascii():
        return name
    try:
        return idna.encode(name, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError) as exc:
        raise ValueError(
            f"{show(original)} is not a valid internationalised name ({exc})"
        ) from None


def _check_label(label: str, original: str, allowed: re.Pattern[str], words: str) -> None:
    """One label: 1..63 characters of the allowed set, no hyphen at either end."""
    where = f"name {show(original)}"
    if not label:
        raise ValueError(f"{where} has an empty label")
    if len(label) > MAX_LABEL:
        raise ValueError(f"{where} has a label longer than {MAX_LABEL} characters")
    if not allowed.fullmatch(label):
        raise ValueError(f"{where}: a label may only contain {words}")
    if label.startswith("-") or label.endswith("-"):
        raise ValueError(f"{where}: a label must not start or end with a hyphen")
    if label.startswith("xn--"):
        try:
            idna.decode(label)
        except (idna.IDNAError, UnicodeError):
            raise ValueError(f"{where}: {label!r} is not a valid A-label") from None
    elif label[2:4] == "--":
        raise ValueError(f"{where}: labels with '--' in the third and fourth place are reserved")


def _is_ip(text: str, version: int | None = None) -> bool:
    """True for an IPv4/IPv6 literal (optionally of one version)."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    return version is None or address.version == version


def show(value: object, width: int = 80) -> str:
    """Quote a user value for a message, cut short so one line stays one line."""
    text = str(value)
    return repr(text if len(text) <= width else text[: width - 3] + "...")
