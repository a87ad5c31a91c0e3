"""One key of a config section (``Field``) and the converters fields share.

A converter turns a type-checked YAML scalar into what the settings want, or
raises ValueError with a message that never repeats a secret. The tables that
use these live in ``config/fields.py`` (the common sections) and in
``config/types/`` (one module per store and DNS provider type).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from renewer.config.domains import check_credential_url
from renewer.config.durations import parse_positive_duration
from renewer.core.files import BoundedReadError, read_bounded
from renewer.core.secrets import SecretInvalid, decode_base64
from renewer.core.settings import SecretRef


@dataclass(frozen=True)
class Context:
    """What converters may consult: the config's folder and the environment."""

    base_dir: Path
    environ: Mapping[str, str]


Converter = Callable[[Any, Context], Any]
Shape = Literal[
    "scalar", "list", "section", "override", "sections", "map", "endpoints", "consumers"
]


@dataclass(frozen=True)
class Field:
    """One key of a section. ``accepts``: the YAML scalar kinds allowed.

    shape: "scalar", "list" (of scalars), "section" (nested table), "override"
    (partial section merged onto the top level), "sections" (list of tables), "map",
    "endpoints" (walked by config/endpoints.py), "consumers" (config/consumer_entries.py).
    ``description``, ``pattern`` and ``schema`` only feed the generated JSON
    Schema (``renewer schema``): ``pattern`` is the editor-side check of a string,
    ``schema`` replaces the value's derived schema where the derivation cannot
    say it (an alias list or a URL, a date or a duration).
    """

    shape: Shape = "scalar"
    convert: Converter | None = None
    accepts: tuple[str, ...] = ("str",)
    required: bool = False
    default: Any = None
    enum: tuple[str, ...] = ()
    section: str = ""
    min_items: int = 0
    max_items: int = 0
    unique: bool = False
    secret: bool = False  # never echo the value, nor unknown keys next to it
    description: str = ""
    pattern: str = ""
    schema: Mapping[str, Any] = field(default_factory=dict)


def plain(function: Callable[[str], Any]) -> Converter:
    """Adapt a context-free check (most of them) to the converter signature."""
    return lambda value, ctx: function(value)


def text(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value.strip()


RUNNER_CREDENTIAL_PREFIXES = (
    "GITHUB_",  # GitHub sets these (GITHUB_TOKEN with them); its secrets may not use the prefix
    "ACTIONS_",  # the runner's own: ACTIONS_ID_TOKEN_REQUEST_TOKEN/_URL, ACTIONS_RUNTIME_TOKEN
    "RUNNER_",
    "AZURE_FEDERATED_TOKEN",  # workload identity: AZURE_FEDERATED_TOKEN(_FILE)
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE",
    "IDENTITY_",  # managed identity endpoint and header (App Service, Functions, Arc)
    "MSI_",
)
RUNNER_CREDENTIAL_NAMES = frozenset({"GH_TOKEN", "GH_ENTERPRISE_TOKEN", "AZURE_PASSWORD"})
"""Variables that hold the runner's own credentials, which no ``env:`` reference may name.

A merged config names where a secret goes (an SMTP server, a webhook URL, a DNS
API of its choosing): naming the OIDC request token or GITHUB_TOKEN there would
hand the identity that replaces certificates, or the repository, to that host.
Compared without case (Windows runners' variables ignore it).
"""


def runner_credential(name: str) -> bool:
    """True if ``name`` is one of the runner's own credential variables (see above)."""
    upper = name.upper()
    return upper in RUNNER_CREDENTIAL_NAMES or upper.startswith(RUNNER_CREDENTIAL_PREFIXES)


def env_reference(value: object) -> str:
    """The NAME of an ``env:NAME`` reference, checked for form and for the runner's credentials.

    The one parser of ``env:`` for every section (secrets, notify targets, plugins), so
    the rule about the runner's credentials cannot be missed by one of them.
    """
    if not isinstance(value, str) or not value.strip().startswith("env:"):
        raise ValueError("must be an env:NAME reference, not a literal secret")
    name = value.strip()[len("env:") :]
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ValueError("env: must be followed by an environment variable name")
    if runner_credential(name):
        raise ValueError(
            f"env:{name} names a credential of the runner itself (GITHUB_*, ACTIONS_*, "
            "RUNNER_*, the Azure sign-in's variables), which renewer never sends anywhere: "
            "keep the secret under a name of your own"
        )
    return name


def secret(value: object, ctx: Context) -> SecretRef:
    """Secrets live in the environment; a literal would end up in git history."""
    name = env_reference(value)
    if name not in ctx.environ:
        raise ValueError(f"environment variable {name} is not set")
    return SecretRef(name)


def path(value: str, ctx: Context) -> Path:
    """Relative paths are relative to the config file, not to the working directory."""
    if "\0" in text(value):
        raise ValueError("a path must not contain NUL characters")
    return Path(os.path.normpath(ctx.base_dir / value.strip()))


def existing_file(value: str, ctx: Context) -> Path:
    found_path = path(value, ctx)
    shown = repr(str(found_path) if len(str(found_path)) <= 80 else "..." + str(found_path)[-77:])
    try:
        found = found_path.is_file()
        folder = not found and found_path.is_dir()  # say what it is, not "does not exist"
        other = not found and not folder and found_path.exists()
    except OSError as exc:  # name too long, permission denied, ...
        raise ValueError(f"file {shown} cannot be checked: {exc.strerror}") from None
    if folder:
        raise ValueError(f"file {shown} is a directory")
    if other:
        raise ValueError(f"file {shown} is not a regular file (a device, pipe or socket)")
    if not found:
        raise ValueError(f"file {shown} does not exist")
    return found_path


def ca_bundle(value: str, ctx: Context) -> Path:
    """A regular file under the size cap holding at least one PEM certificate.

    Checked at validate: a folder, /etc/passwd or /dev/zero given as trust would
    otherwise surface as an obscure TLS error at the first request.
    """
    found_path = existing_file(value, ctx)
    try:
        data = read_bounded(found_path)
    except BoundedReadError as exc:
        raise ValueError(f"file {str(found_path)!r} {exc}") from None
    from cryptography import x509  # only for a CA bundle: `--help` stays light

    try:
        found = x509.load_pem_x509_certificates(data)
    except ValueError:
        found = []
    if not found:
        raise ValueError(f"file {str(found_path)!r} holds no PEM certificate")
    return found_path


def base64_secret(urlsafe: bool) -> Converter:
    """An env:NAME secret whose value must be base64: checked now, named, never echoed."""

    def convert(value: object, ctx: Context) -> SecretRef:
        ref = secret(value, ctx)
        try:
            decode_base64(ctx.environ[ref.env], f"the value of {ref}", urlsafe)
        except SecretInvalid as exc:
            raise ValueError(str(exc)) from None
        return ref

    return convert


NUMBER = ("str", "int", "float")
STR = Field(convert=plain(text))
FILE = Field(convert=ca_bundle)  # every file setting is a CA bundle
SECRET = Field(convert=secret, required=True, secret=True, accepts=(*NUMBER, "bool"))
DURATION = Field(convert=plain(parse_positive_duration), accepts=NUMBER)
CREDENTIAL_URL = Field(convert=plain(check_credential_url), pattern=r"^\s*https?://[^\s/?#]+")
"""A URL a credential is sent to (an API token, a signed request): https, or http on loopback.

Every such key declares itself with this field (``doc(CREDENTIAL_URL, ...)``), so the
rule lives here once and a new provider gets it by using the field.
"""
SECONDS = plain(lambda value: parse_positive_duration(value).total_seconds())


def doc(base: Field, description: str, **changes: Any) -> Field:
    """``base`` (one of the shared fields above) with its description for this key."""
    return replace(base, description=description, **changes)


def persist_until(value: Any, ctx: Context) -> datetime | timedelta:
    """A date (2027-06-30, or an ISO date-time) or a duration from the time of ``persist``."""
    text = str(value).strip()
    try:
        return parse_positive_duration(value if isinstance(value, int | float) else text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"expected a date (2027-06-30) or a duration (365d), got {text[:40]!r}"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


PERSIST_UNTIL = Field(
    convert=persist_until,
    accepts=(*NUMBER, "timestamp"),
    schema={
        "anyOf": [
            {"$ref": "#/$defs/duration"},
            {"type": "string", "pattern": r"^\s*[0-9]{4}-[0-9]{2}-[0-9]{2}([T ].*)?\s*$"},
        ]
    },
)
