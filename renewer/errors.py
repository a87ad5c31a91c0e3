"""One readable line for any failure, safe to print, log and publish.

Exceptions raised by renewer's own modules already carry a sentence naming
the resource. Library exceptions can be long or carry request bodies, so only
their class and first line are kept.
"""

from __future__ import annotations

from renewer.acme_client import AcmeFailure
from renewer.dns.base import DnsError
from renewer.models import SecretUnavailable
from renewer.stores.base import StoreError

OWN_ERRORS = (AcmeFailure, DnsError, StoreError, SecretUnavailable)
MAX_LENGTH = 300


def describe_error(exc: BaseException) -> str:
    """A single line: our own messages verbatim, others as 'Class: first line'."""
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    if isinstance(exc, OWN_ERRORS):
        line = first or exc.__class__.__name__
    else:
        line = f"{exc.__class__.__name__}: {first}" if first else exc.__class__.__name__
    return line[:MAX_LENGTH]
