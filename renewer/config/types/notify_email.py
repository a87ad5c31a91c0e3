"""Notify type ``email``: one plain-text and HTML message over SMTP."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from renewer.config.convert import Context, existing_file
from renewer.config.domains import normalise_email
from renewer.config.types.base import SettingsType, setting, settings
from renewer.config.types.notifiers import SECRET_OPTIONAL
from renewer.core.settings import SecretRef

_EMAIL = r"^\s*(mailto:)?[^@\s,;<>]+@[^@\s]+\s*$"


def _address(value: Any, ctx: Context) -> str:
    return normalise_email(value).removeprefix("mailto:")


def _host(value: Any, ctx: Context) -> str:
    host = value.strip()
    if not host or not re.fullmatch(r"[A-Za-z0-9.:\-\[\]]+", host):
        raise ValueError(f"{value[:60]!r} is not a host name or address")
    return str(host)


def _port(value: Any, ctx: Context) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise ValueError("must be a port number from 1 to 65535")
    return value


@settings
class SmtpSettings:
    """How to reach the mail server; the credentials stay env: references."""

    host: str = setting(convert=_host, description="Host name or address.")
    port: int = setting(
        default=587,
        convert=_port,
        accepts=("int",),
        description="Port (default 587).",
        schema={"type": "integer", "minimum": 1, "maximum": 65535},
    )
    starttls: bool = setting(
        default=True,
        accepts=("bool",),
        description="Upgrade with STARTTLS before AUTH (default true).",
    )
    username: SecretRef | None = setting(
        default=None, like=SECRET_OPTIONAL, description="AUTH user, as env:NAME."
    )
    password: SecretRef | None = setting(
        default=None, like=SECRET_OPTIONAL, description="AUTH password, as env:NAME."
    )
    ca_bundle: Path | None = setting(
        default=None,
        convert=existing_file,
        description=(
            "PEM file of CAs to trust for STARTTLS, relative to this file (default: the system's)."
        ),
    )


@settings
class EmailSettings:
    smtp: SmtpSettings = setting(shape="section", section="smtp", description="The mail server.")
    sender: str = setting(
        key="from", convert=_address, description="Sender address.", pattern=_EMAIL
    )
    to: tuple[str, ...] = setting(
        shape="list",
        convert=_address,
        min_items=1,
        unique=True,
        description="Recipients (at least one).",
        pattern=_EMAIL,
    )


TYPE = SettingsType(
    "notify",
    "email",
    "one plain-text and HTML message over SMTP",
    EmailSettings,
    "renewer.notify.mail:EmailNotifier",
    sections={"smtp": SmtpSettings},
    section_descriptions={"smtp": "An SMTP server; credentials are env:NAME references."},
)
