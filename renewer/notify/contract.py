"""The one interface every notification target implements.

Formatting and sending are separate steps: ``render`` is pure (the
``--dry-run`` output and the tests' schema checks use it), ``send`` only
moves the rendered bytes. Neither puts a secret into a payload: the models
hold none, and URLs and credentials are resolved inside ``send``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from renewer.core.errors import RenewerError
from renewer.notify.event import Event


@dataclass(frozen=True)
class Rendered:
    """A message ready to go: its media type, body and any extra headers."""

    media_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class DeliveryError(RenewerError):
    """A message could not be delivered; the text names no URL and no secret."""


class Notifier(Protocol):
    """A notification target: Teams, Slack, webhook or e-mail."""

    @property
    def label(self) -> str:
        """How warnings name the target (its type and name, never its URL)."""
        ...

    def render(self, event: Event) -> Rendered:
        """The message for ``event``; pure, sends nothing."""
        ...

    def send(self, message: Rendered) -> str:
        """Deliver ``message``; one line saying what happened, or DeliveryError."""
        ...
