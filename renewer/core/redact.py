"""Last line of defence: secret values are masked in every log record.

Secrets are resolved late (``SecretRef.resolve``) and registered here at that
moment; the logging filter replaces any registered value wherever it appears,
including in third-party library messages (acme, requests, dnspython).
"""

from __future__ import annotations

import logging
import threading

MASK = "***"
MIN_LENGTH = 6  # shorter values would mask ordinary words

_secrets: set[str] = set()
_lock = threading.Lock()


def register(value: str) -> None:
    """Remember a secret value so that logs never show it."""
    if len(value) >= MIN_LENGTH:
        with _lock:
            _secrets.add(value)


def redact(text: str) -> str:
    with _lock:
        values = sorted(_secrets, key=len, reverse=True)
    for value in values:
        text = text.replace(value, MASK)
    return text


class RedactingFilter(logging.Filter):
    """Formats the record once, masks secrets, and freezes the result."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
