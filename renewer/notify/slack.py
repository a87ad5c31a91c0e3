"""Slack: a Block Kit message for an incoming webhook.

Only the layout blocks every surface renders: header, section, context and
divider (api.slack.com/reference/block-kit/blocks). Their limits are kept
here, not left to Slack to refuse: a header's plain text holds 150
characters, a section's text 3000, a context 10 elements, a message 50
blocks. The top-level ``text`` is the notification's fallback line. Slack
answers 200 "ok", or 4xx with a short error code.
"""

from __future__ import annotations

from typing import Any

from renewer.core.escape import Target, inert
from renewer.notify.event import Event

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
ICONS = {
    "failed": ":x:",
    "at-risk": ":warning:",
    "blocked": ":no_entry:",
    "succeeded": ":white_check_mark:",
}


def escape(text: str) -> str:
    """Slack mrkdwn: ``&``, ``<`` and ``>`` as entities (no mention, no link), one line."""
    return inert(text, Target.SLACK, limit=MAX_SECTION_TEXT)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _cut(text, MAX_SECTION_TEXT)}}


def _lines(event: Event) -> list[str]:
    lines = []
    for cert in event.certificates:
        icon = ICONS.get(cert.categories[0] if cert.categories else "", ":information_source:")
        lines.append(f"{icon} *{escape(cert.name)}*: {escape(cert.detail)}")
    return lines


def blocks(event: Event) -> list[dict[str, Any]]:
    """header, headline, divider, certificate sections (packed to 3000 chars), context links."""
    out: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": _cut(event.title, MAX_HEADER_TEXT)},
        },
        _section(
            escape(event.headline) + (" _(dry run: nothing changed)_" if event.dry_run else "")
        ),
    ]
    links = [
        f"<{url}|{title}>"
        for title, url in (
            ("Open the run", event.links.run_url),
            ("Tracking issue", event.links.tracking_url),
        )
        if url
    ]
    room = MAX_BLOCKS - len(out) - 1 - (1 if links else 0)  # the divider, the context
    chunks: list[str] = []
    lines = _lines(event)
    for index, line in enumerate(lines):
        if chunks and len(chunks[-1]) + 1 + len(line) <= MAX_SECTION_TEXT:
            chunks[-1] += "\n" + line
        elif len(chunks) < room:
            chunks.append(_cut(line, MAX_SECTION_TEXT))
        else:
            chunks[-1] = _cut(chunks[-1], MAX_SECTION_TEXT - 40)
            chunks[-1] += f"\n… and {len(lines) - index} more (see the run)"
            break
    if chunks:
        out.append({"type": "divider"})
        out += [_section(chunk) for chunk in chunks]
    if links:
        out.append({"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(links)}]})
    return out


def payload(event: Event) -> dict[str, Any]:
    return {"text": f"{event.title}: {event.headline}", "blocks": blocks(event)}
