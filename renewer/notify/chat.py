"""A chat incoming webhook: one JSON document per event, POSTed to a secret URL.

Teams (Adaptive Card) and Slack (Block Kit) differ only in the document they
take; the URL, the timeout, the retries (renewer.notify.http) and the label
are the same, so one notifier serves both with the payload function each
module builds.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from renewer.config.types.notifiers import NotifySettings
from renewer.config.types.notify_teams import ChatSettings
from renewer.notify import http
from renewer.notify.contract import Rendered
from renewer.notify.event import Event
from renewer.notify.links import resolve_url


@dataclass(frozen=True)
class ChatNotifier:
    settings: NotifySettings[ChatSettings]
    policy: http.RetryPolicy
    payload: Callable[[Event], dict[str, Any]]

    @property
    def label(self) -> str:
        return self.settings.label

    def render(self, event: Event) -> Rendered:
        return Rendered("application/json", json.dumps(self.payload(event)).encode())

    def send(self, message: Rendered) -> str:
        url = resolve_url(self.settings.target.url)
        return http.post(url, message, self.settings.timeout, self.policy)


def teams(settings: NotifySettings[ChatSettings], policy: http.RetryPolicy) -> ChatNotifier:
    """A Teams Workflows target: an Adaptive Card (renewer.notify.teams)."""
    from renewer.notify import teams as card

    return ChatNotifier(settings, policy, card.payload)


def slack(settings: NotifySettings[ChatSettings], policy: http.RetryPolicy) -> ChatNotifier:
    """A Slack incoming webhook: Block Kit (renewer.notify.slack)."""
    from renewer.notify import slack as blocks

    return ChatNotifier(settings, policy, blocks.payload)
