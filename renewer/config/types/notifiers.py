"""What every ``notify:`` target has, whatever its type, and the checks types share.

Each type is its own module beside this one (``notify_teams.py``...): its
settings class (its keys, their defaults and checks) and the dotted path of
the factory that builds its notifier, like DNS providers and stores. A
target is a :class:`NotifySettings`: the keys every type has (``on``,
``name``, ``timeout``) and the type's own settings in ``target``.

Webhook URLs of Teams Workflows and Slack carry their own credential (a
signature or token in the path), so they must be ``env:NAME`` references;
a generic webhook may be a literal URL, its HMAC ``secret`` never is.
"""

from __future__ import annotations

from dataclasses import field
from typing import Any, Generic, TypeVar

from renewer.config.convert import NUMBER, SECONDS, Context, Field, env_reference
from renewer.config.domains import check_credential_url, safe_for_credentials
from renewer.config.types.base import setting, settings
from renewer.core.settings import SecretRef

ON_VALUES = ("failed", "at-risk", "orphaned", "succeeded", "deferred", "blocked", "all")
DEFAULT_ON = ("failed", "at-risk")
DEFAULT_TIMEOUT = 10.0


def env_ref(value: Any, ctx: Context) -> SecretRef:
    """``env:NAME``, checked for form only: the variable need not be set here.

    Validation runs where notifications are never sent (pull requests, forks
    without secrets, renew shards); a variable missing where one is sent is a
    warning then, and must never stop a renewal.
    """
    return SecretRef(env_reference(value))


def url_ref(value: Any, ctx: Context) -> SecretRef:
    """``env:NAME`` of a URL; checked for https now if the variable is set here.

    The value is never quoted in the message: a Teams or Slack URL is a credential.
    """
    ref = env_ref(value, ctx)
    url = ctx.environ.get(ref.env)
    if url is not None and not safe_for_credentials(url):
        raise ValueError(f"the URL in {ref} must be an https:// URL (http:// only for loopback)")
    return ref


def url_or_secret(value: Any, ctx: Context) -> SecretRef | str:
    """A generic webhook: env:NAME, or a literal https URL without credentials."""
    if isinstance(value, str) and value.strip().startswith("env:"):
        return url_ref(value, ctx)
    return check_credential_url(str(value))


def credential_url(value: Any, ctx: Context) -> SecretRef:
    """Teams and Slack URLs are credentials: anyone holding one can post."""
    if not isinstance(value, str) or not value.strip().startswith("env:"):
        raise ValueError("this URL is a credential: give it as env:NAME, not literally")
    return url_ref(value, ctx)


SECRET_OPTIONAL = Field(convert=env_ref, secret=True, accepts=(*NUMBER, "bool"))
"""An optional ``env:NAME`` secret of a target (checked for form only, see env_ref)."""

T = TypeVar("T")


@settings
class NotifySettings(Generic[T]):
    """One notification target: its type, its type's settings, the keys every type has.

    ``certificates``: its scope (None = every certificate), from where it is listed.
    """

    type: str
    target: T  # the type's own settings (renewer/config/types/notify_<type>.py)
    on: tuple[str, ...] = setting(
        default=DEFAULT_ON,
        shape="list",
        enum=ON_VALUES,
        unique=True,
        min_items=1,
        description=(
            "Which certificates make a message: failed, at-risk (failed near expiry), "
            "orphaned, succeeded, deferred, blocked, or all (every run). "
            "Default [failed, at-risk]."
        ),
    )
    name: str | None = setting(
        default=None,
        convert=lambda v, ctx: v.strip() or None,
        description="A label for warnings and messages (the URL is never shown).",
    )
    timeout: float = setting(
        default=DEFAULT_TIMEOUT,
        convert=SECONDS,
        accepts=NUMBER,
        description="Seconds one delivery attempt may take (default 10s).",
    )
    certificates: frozenset[str] | None = field(default=None)

    @property
    def label(self) -> str:
        """How messages and warnings name the target, never by its URL."""
        return f"{self.type} {self.name!r}" if self.name else self.type


SECTION_DESCRIPTION = (
    "A notification target: Microsoft Teams (Workflows webhook), Slack (incoming webhook), "
    "a generic JSON webhook or e-mail. Sent once per run, after the report is final. The "
    "allowed keys depend on `type`."
)
"""For the generated JSON Schema (config/schema.py)."""
