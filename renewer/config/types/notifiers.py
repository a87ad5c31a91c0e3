"""The ``notify.type`` values: each one's field table and the factory of its notifier.

The one place a notification type is declared (:data:`NOTIFIER_TYPES`): its
keys, their defaults and checks, and the dotted path of the factory that
builds its notifier (imported only when a target of that type sends).
``renewer.config.fields`` includes the tables in SECTIONS (so the schema and
the unknown-key hints follow) and ``renewer.config.notify`` builds targets.

Webhook URLs of Teams Workflows and Slack carry their own credential (a
signature or token in the path), so they must be ``env:NAME`` references;
a generic webhook may be a literal URL, its HMAC ``secret`` never is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from renewer.config.convert import NUMBER, Context, Field, doc, env_reference, existing_file
from renewer.config.domains import check_credential_url, normalise_email, safe_for_credentials
from renewer.config.durations import parse_positive_duration
from renewer.core.settings import SecretRef

NotifyType = Literal["teams", "slack", "webhook", "email"]
NOTIFY_TYPES: tuple[NotifyType, ...] = ("teams", "slack", "webhook", "email")
ON_VALUES = ("failed", "at-risk", "orphaned", "succeeded", "deferred", "blocked", "all")
DEFAULT_ON = ("failed", "at-risk")
DEFAULT_TIMEOUT = 10.0


def _env_ref(value: Any, ctx: Context) -> SecretRef:
    """``env:NAME``, checked for form only: the variable need not be set here.

    Validation runs where notifications are never sent (pull requests, forks
    without secrets, renew shards); a variable missing where one is sent is a
    warning then, and must never stop a renewal.
    """
    return SecretRef(env_reference(value))


def _url_ref(value: Any, ctx: Context) -> SecretRef:
    """``env:NAME`` of a URL; checked for https now if the variable is set here.

    The value is never quoted in the message: a Teams or Slack URL is a credential.
    """
    ref = _env_ref(value, ctx)
    url = ctx.environ.get(ref.env)
    if url is not None and not safe_for_credentials(url):
        raise ValueError(f"the URL in {ref} must be an https:// URL (http:// only for loopback)")
    return ref


def _url_or_secret(value: Any, ctx: Context) -> SecretRef | str:
    """A generic webhook: env:NAME, or a literal https URL without credentials."""
    if isinstance(value, str) and value.strip().startswith("env:"):
        return _url_ref(value, ctx)
    return check_credential_url(str(value))


def _credential_url(value: Any, ctx: Context) -> SecretRef:
    """Teams and Slack URLs are credentials: anyone holding one can post."""
    if not isinstance(value, str) or not value.strip().startswith("env:"):
        raise ValueError("this URL is a credential: give it as env:NAME, not literally")
    return _url_ref(value, ctx)


def _address(value: str) -> str:
    return normalise_email(value).removeprefix("mailto:")


def _host(value: str) -> str:
    host = value.strip()
    if not host or not re.fullmatch(r"[A-Za-z0-9.:\-\[\]]+", host):
        raise ValueError(f"{value[:60]!r} is not a host name or address")
    return host


def _port(value: Any, ctx: Context) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise ValueError("must be a port number from 1 to 65535")
    return value


def _seconds(value: Any, ctx: Context) -> float:
    return parse_positive_duration(value).total_seconds()


_SECRET_OPTIONAL = Field(convert=_env_ref, secret=True, accepts=(*NUMBER, "bool"))
_TIMEOUT = Field(convert=_seconds, accepts=NUMBER, default=DEFAULT_TIMEOUT)

_EMAIL = r"^\s*(mailto:)?[^@\s,;<>]+@[^@\s]+\s*$"

TABLES: dict[str, dict[str, Field]] = {
    "notify": {
        "type": Field(
            required=True,
            enum=NOTIFY_TYPES,
            description=(
                "teams: an Adaptive Card to a Teams Workflows webhook; slack: Block Kit to a "
                "Slack incoming webhook; webhook: the JSON event of "
                "docs/notify-webhook.schema.json; email: one plain-text and HTML message over "
                "SMTP."
            ),
        ),
        "on": Field(
            "list",
            enum=ON_VALUES,
            default=DEFAULT_ON,
            unique=True,
            min_items=1,
            description=(
                "Which certificates make a message: failed, at-risk (failed near expiry), "
                "orphaned, succeeded, deferred, blocked, or all (every run). "
                "Default [failed, at-risk]."
            ),
        ),
        "name": Field(
            convert=lambda v, ctx: v.strip() or None,
            description="A label for warnings and messages (the URL is never shown).",
        ),
        "timeout": doc(_TIMEOUT, "Seconds one delivery attempt may take (default 10s)."),
    },
    "notify.teams": {
        "url": Field(
            convert=_credential_url,
            required=True,
            secret=True,
            description="The Workflows webhook URL (it is a credential), as env:NAME.",
        )
    },
    "notify.slack": {
        "url": Field(
            convert=_credential_url,
            required=True,
            secret=True,
            description="The incoming webhook URL (it is a credential), as env:NAME.",
        )
    },
    "notify.webhook": {
        "url": Field(
            convert=_url_or_secret,
            required=True,
            description=(
                "Where to POST the event: env:NAME, or a literal https URL without "
                "credentials or query (http only on loopback)."
            ),
        ),
        "secret": doc(
            _SECRET_OPTIONAL,
            "HMAC-SHA256 key as env:NAME; signs the body in X-Renewer-Signature-256.",
        ),
    },
    "notify.email": {
        "smtp": Field("section", section="smtp", required=True, description="The mail server."),
        "from": Field(
            convert=lambda v, ctx: _address(v),
            required=True,
            description="Sender address.",
            pattern=_EMAIL,
        ),
        "to": Field(
            "list",
            convert=lambda v, ctx: _address(v),
            required=True,
            min_items=1,
            unique=True,
            description="Recipients (at least one).",
            pattern=_EMAIL,
        ),
    },
    "smtp": {
        "host": Field(
            convert=lambda v, ctx: _host(v), required=True, description="Host name or address."
        ),
        "port": Field(
            convert=_port,
            accepts=("int",),
            default=587,
            description="Port (default 587).",
            schema={"type": "integer", "minimum": 1, "maximum": 65535},
        ),
        "starttls": Field(
            accepts=("bool",),
            default=True,
            description="Upgrade with STARTTLS before AUTH (default true).",
        ),
        "username": doc(_SECRET_OPTIONAL, "AUTH user, as env:NAME."),
        "password": doc(_SECRET_OPTIONAL, "AUTH password, as env:NAME."),
        "ca_bundle": Field(
            convert=existing_file,
            description=(
                "PEM file of CAs to trust for STARTTLS, relative to this file "
                "(default: the system's)."
            ),
        ),
    },
}
"""The notify sections, in the shape of fields.SECTIONS (which includes them)."""
SECTION_DESCRIPTIONS = {
    "notify": (
        "A notification target: Microsoft Teams (Workflows webhook), Slack (incoming webhook), "
        "a generic JSON webhook or e-mail. Sent once per run, after the report is final. The "
        "allowed keys depend on `type`."
    ),
    "smtp": "An SMTP server; credentials are env:NAME references.",
}
"""For the generated JSON Schema (config/schema.py)."""


@dataclass(frozen=True)
class NotifierType:
    """One ``notify.type``: its own keys and the factory of its notifier.

    ``factory`` is "package.module:name", a callable taking the target's
    ``NotifySettings`` and a ``renewer.notify.http.RetryPolicy`` and returning
    a ``renewer.notify.contract.Notifier``.
    """

    name: NotifyType
    fields: dict[str, Field]
    factory: str


NOTIFIER_TYPES: dict[str, NotifierType] = {
    t.name: t
    for t in (
        NotifierType("teams", TABLES["notify.teams"], "renewer.notify.chat:teams"),
        NotifierType("slack", TABLES["notify.slack"], "renewer.notify.chat:slack"),
        NotifierType("webhook", TABLES["notify.webhook"], "renewer.notify.webhook:WebhookNotifier"),
        NotifierType("email", TABLES["notify.email"], "renewer.notify.mail:EmailNotifier"),
    )
}


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the mail server; the credentials stay env: references."""

    host: str
    port: int = 587
    starttls: bool = True
    username: SecretRef | None = None
    password: SecretRef | None = None
    ca_bundle: Path | None = None


@dataclass(frozen=True)
class NotifySettings:
    """One notification target. ``certificates``: its scope (None = every certificate)."""

    type: NotifyType
    on: tuple[str, ...] = DEFAULT_ON
    name: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    url: SecretRef | str | None = None
    secret: SecretRef | None = None
    smtp: SmtpSettings | None = None
    sender: str | None = None
    to: tuple[str, ...] = ()
    certificates: frozenset[str] | None = None

    @property
    def label(self) -> str:
        """How messages and warnings name the target, never by its URL."""
        return f"{self.type} {self.name!r}" if self.name else self.type
