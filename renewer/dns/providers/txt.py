"""TXT values in zone-file presentation, as the record-set APIs exchange them.

PowerDNS and Route 53 take and return TXT data as quoted character-strings
(``"value"``, or ``"abc" "def"`` for data over 255 bytes); an ACME value is
43 characters, but foreign values at the same name may be split.
"""

from __future__ import annotations


def quote_txt(value: str) -> str:
    """One quoted character-string, backslash and quote escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def unquote_txt(content: str) -> str:
    """Join a TXT content's character-strings (``"a" "b"`` -> ``ab``)."""
    out: list[str] = []
    inside = escaped = False
    for char in content:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\" and inside:
            escaped = True
        elif char == '"':
            inside = not inside
        elif inside:
            out.append(char)
    return "".join(out)
