"""Notify type ``teams``: an Adaptive Card to a Microsoft Teams Workflows webhook."""

from __future__ import annotations

from renewer.config.types.base import SettingsType, setting, settings
from renewer.config.types.notifiers import credential_url
from renewer.core.settings import SecretRef


@settings
class ChatSettings:
    """A chat incoming webhook (Teams or Slack): only its URL, which is a credential."""

    url: SecretRef = setting(
        convert=credential_url,
        secret=True,
        description="The incoming webhook URL (it is a credential), as env:NAME.",
    )


TYPE = SettingsType(
    "notify",
    "teams",
    "an Adaptive Card to a Teams Workflows webhook",
    ChatSettings,
    "renewer.notify.chat:teams",
)
