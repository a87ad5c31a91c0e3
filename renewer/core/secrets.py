"""Shape checks for secret values that must be base64 (TSIG keys, EAB HMAC keys).

A wrong value used to surface as the codec's own words ("Incorrect padding")
at the first DNS update or account creation, naming neither the setting nor
the variable. Checked at validate time (the config loader) and again where
the value is used, with a message naming both and never the value itself.
"""

from __future__ import annotations

import base64
import binascii
import re

from renewer.core.errors import RenewerError

_STANDARD = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_URLSAFE = re.compile(r"[A-Za-z0-9_-]+={0,2}")


class SecretInvalid(RenewerError):
    """A secret whose value has the wrong shape; the message names the setting, not the value."""


def decode_base64(value: str, setting: str, urlsafe: bool = False) -> bytes:
    """The decoded bytes of ``value``; SecretInvalid naming ``setting`` if it is not base64.

    ``urlsafe``: the base64url alphabet, padding optional (RFC 8555 EAB keys);
    otherwise the standard alphabet with padding (RFC 8945 TSIG keys, as BIND
    and ``tsig-keygen`` write them). Whitespace between groups is allowed.
    """
    text = "".join(value.split())
    if not text:
        raise SecretInvalid(f"{setting} is empty")
    pattern = _URLSAFE if urlsafe else _STANDARD
    alphabet = "base64url" if urlsafe else "base64"
    if not pattern.fullmatch(text):
        raise SecretInvalid(f"{setting} is not {alphabet} (unexpected characters)")
    try:
        if urlsafe:
            decoded = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        else:
            decoded = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise SecretInvalid(f"{setting} is not {alphabet} (wrong length or padding)") from None
    if not decoded:
        raise SecretInvalid(f"{setting} decodes to nothing")
    return decoded
