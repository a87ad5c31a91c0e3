"""Microsoft Teams: an Adaptive Card (1.5) for a Workflows webhook.

Office 365 connectors are being retired; their replacement is a Power
Automate / Teams Workflows flow started by "When a Teams webhook request is
received", which takes a Bot Framework ``message`` activity whose first
attachment is the card (contentType application/vnd.microsoft.card.adaptive),
and answers 202 Accepted. The card uses only elements of the Adaptive Card
1.5 schema (adaptivecards.io/schemas/1.5.0/adaptive-card.json): TextBlock,
FactSet and Action.OpenUrl. Teams renders Markdown in TextBlock and in a
fact's title and value, so text from outside goes through ``core.escape``.
"""

from __future__ import annotations

from typing import Any

from renewer.core import escape
from renewer.notify.event import Event

CARD_VERSION = "1.5"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
MAX_FACTS = 30  # Teams drops messages over about 28 KB; the run link has the rest
COLOURS = {
    "failed": "Attention",
    "blocked": "Attention",
    "at-risk": "Warning",
    "orphaned": "Warning",
    "deferred": "Warning",
    "succeeded": "Good",
}


def _inert(text: str) -> str:
    """Teams reads Markdown in FactSet titles and values: a certificate's detail carries a
    CA's or DNS API's words, which must not become a link or formatting there."""
    return escape.inert(text, escape.Target.TEAMS)


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def card(event: Event) -> dict[str, Any]:
    """The Adaptive Card: title, headline, one fact per certificate, links as actions."""
    colour = COLOURS.get(event.status, "Default")
    body: list[dict[str, Any]] = [
        _text(event.title, size="Large", weight="Bolder", color=colour, style="heading"),
        _text(event.headline, spacing="Small", isSubtle=True),
    ]
    if event.dry_run:
        body.append(_text("Dry run: nothing was changed.", isSubtle=True))
    shown = event.certificates[:MAX_FACTS]
    if shown:
        facts = [{"title": _inert(cert.name), "value": _inert(cert.detail)} for cert in shown]
        body.append({"type": "FactSet", "facts": facts, "separator": True})
    if len(event.certificates) > len(shown):
        more = len(event.certificates) - len(shown)
        body.append(_text(f"… and {more} more (see the run).", isSubtle=True))
    actions = [
        {"type": "Action.OpenUrl", "title": title, "url": url}
        for title, url in (
            ("Open the run", event.links.run_url),
            ("Tracking issue", event.links.tracking_url),
        )
        if url
    ]
    content: dict[str, Any] = {
        "$schema": CARD_SCHEMA,
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "fallbackText": f"{event.title}: {event.headline}",
        "body": body,
    }
    if actions:
        content["actions"] = actions
    return content


def payload(event: Event) -> dict[str, Any]:
    """The Workflows webhook body: a message activity carrying the card."""
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card(event),
            }
        ],
    }
