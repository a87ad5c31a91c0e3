"""Notify type ``webhook``: the run's JSON event POSTed to any HTTP endpoint, HMAC-signed."""

from __future__ import annotations

from renewer.config.types.base import SettingsType, setting, settings
from renewer.config.types.notifiers import SECRET_OPTIONAL, url_or_secret
from renewer.core.settings import SecretRef


@settings
class WebhookSettings:
    url: SecretRef | str = setting(
        convert=url_or_secret,
        description=(
            "Where to POST the event: env:NAME, or a literal https URL without "
            "credentials or query (http only on loopback)."
        ),
    )
    secret: SecretRef | None = setting(
        default=None,
        like=SECRET_OPTIONAL,
        description="HMAC-SHA256 key as env:NAME; signs the body in X-Renewer-Signature-256.",
    )


TYPE = SettingsType(
    "notify",
    "webhook",
    "the JSON event of docs/notify-webhook.schema.json",
    WebhookSettings,
    "renewer.notify.webhook:WebhookNotifier",
)
