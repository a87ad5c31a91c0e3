"""A generic webhook: one JSON event per run (docs/notify-webhook.schema.json).

The body is versioned (``version``; additions keep it, a breaking change
raises it) and carries the certificates that matched the target's ``on``.
With ``secret: env:NAME`` the raw body is signed with HMAC-SHA256 and the
hex digest sent as ``X-Renewer-Signature-256: sha256=<hex>``; the receiver
recomputes it over the bytes it got and compares in constant time.
``X-Renewer-Event`` names the kind (run or test) and ``X-Renewer-Delivery``
is the event's id, stable across retries so a receiver can drop repeats.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from renewer.config.types.notifiers import NotifySettings
from renewer.config.types.notify_webhook import WebhookSettings
from renewer.core.errors import RenewerError
from renewer.notify import http
from renewer.notify.contract import DeliveryError, Rendered
from renewer.notify.event import Event
from renewer.notify.links import resolve_url

VERSION = 1
SCHEMA_URL = "https://github.com/renewer/renewer/docs/notify-webhook.schema.json"
SIGNATURE_HEADER = "X-Renewer-Signature-256"


def event_id(event: Event) -> str:
    """The same run gives the same id: the run link and report time, hashed."""
    seed = f"{event.links.run_url}|{event.generated_at}|{event.test}|{','.join(event.on)}"
    return hashlib.sha256(seed.encode()).hexdigest()[:32]


def body(event: Event) -> dict[str, Any]:
    """The documented event (version 1)."""
    return {
        "$schema": SCHEMA_URL,
        "version": VERSION,
        "id": event_id(event),
        "kind": "test" if event.test else "run",
        "status": event.status,
        "title": event.title,
        "headline": event.headline,
        "generated_at": event.generated_at,
        "dry_run": event.dry_run,
        "on": list(event.on),
        "counts": dict(event.counts),
        "run": {
            "url": event.links.run_url,
            "repository": event.links.repository,
            "tracking_issue": event.links.tracking_url,
        },
        "certificates": [
            {
                "name": cert.name,
                "categories": list(cert.categories),
                "result": cert.result,
                "action": cert.action,
                "reason": cert.reason,
                "error": cert.error,
                "domains": list(cert.domains),
                "not_after": cert.not_after,
                "severity": cert.severity,
                "detail": cert.detail,
            }
            for cert in event.certificates
        ],
    }


def signature(key: bytes, data: bytes) -> str:
    return "sha256=" + hmac.new(key, data, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class WebhookNotifier:
    settings: NotifySettings[WebhookSettings]
    policy: http.RetryPolicy

    @property
    def label(self) -> str:
        return self.settings.label

    def render(self, event: Event) -> Rendered:
        data = json.dumps(body(event), indent=2).encode()
        headers = {"X-Renewer-Event": "test" if event.test else "run"}
        headers["X-Renewer-Delivery"] = event_id(event)
        return Rendered("application/json", data, headers)

    def send(self, message: Rendered) -> str:
        headers = dict(message.headers)
        if self.settings.target.secret is not None:
            try:
                key = self.settings.target.secret.resolve().encode()
            except RenewerError as exc:
                raise DeliveryError(str(exc)) from None
            headers[SIGNATURE_HEADER] = signature(key, message.body)
        signed = Rendered(message.media_type, message.body, headers)
        return http.post(
            resolve_url(self.settings.target.url), signed, self.settings.timeout, self.policy
        )
