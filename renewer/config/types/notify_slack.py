"""Notify type ``slack``: Block Kit to a Slack incoming webhook."""

from __future__ import annotations

from renewer.config.types.base import SettingsType
from renewer.config.types.notify_teams import ChatSettings

TYPE = SettingsType(
    "notify",
    "slack",
    "Block Kit to a Slack incoming webhook",
    ChatSettings,
    "renewer.notify.chat:slack",
)
