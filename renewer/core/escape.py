"""The one way text from outside reaches Markdown, HTML or a chat message: inert.

A CA's problem detail, a DNS API's error, an ``exec`` program's words, a
subject or issuer a probed endpoint presented: none of it is ours, and all of
it ends up in places people read and trust (the job summary, the tracking
issue, a pull-request comment, Teams, Slack, mail). Rendered as it came, it
could ping a team (``@org/team``), show an image or a link to a phishing page,
hide text in an HTML comment, forge the tracking issue's state marker, break
a table row or start a new line that looks like one of ours.

``inert(text, target)`` is the only function renderers call for such text.
Every target first gets the same clean-up (:func:`one_line`): line breaks of
every kind become spaces, control and invisible formatting characters go
(they hide or reorder text: "Trojan Source"), and the length is bounded. Then
the target's own rule makes the rest literal:

- ``MARKDOWN`` / ``MARKDOWN_CELL`` (GitHub): a code span, fenced with more
  backticks than the text holds. CommonMark shows a code span's content
  verbatim: no links, images, emphasis, HTML or comments, and GitHub makes no
  mention or issue reference inside code. In a table cell ``|`` is written
  ``\\|``, which GFM turns back into ``|`` inside the cell (the table is split
  before the code span is read; a backslash run before a pipe is made even so
  the pipe's own backslash is not eaten); outside a table the pipe stays.
  ``<!--`` and ``-->`` get a WORD JOINER inside them: the raw body (which a
  later run reads back) never holds a comment opener or closer from outside.
- ``HTML`` (mail): every ``& < > " '`` as an entity.
- ``SLACK`` (mrkdwn): ``& < >`` as entities, Slack's documented escaping, so
  ``<!channel>``, ``<@U123>`` and ``<url|text>`` are never formed; bare links
  are broken (below).
- ``TEAMS`` (Adaptive Card Markdown in TextBlock and FactSet): Teams has no
  code span and no documented escape, so the characters that open its syntax
  (``[ ] * _ ~ ` < > # @ !``) are each followed by a WORD JOINER (U+2060,
  invisible, no line break): ``[x](http://evil)`` no longer parses as a link.

Both chat targets also break ``://`` with a word joiner so a client does not
turn a URL from outside into a link; the text still reads the same.
"""

from __future__ import annotations

import html
import re
import unicodedata
from enum import Enum

MAX_LENGTH = 1000  # characters of one untrusted string shown anywhere
WORD_JOINER = "\u2060"
_BREAKS = re.compile(r"[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+")
_TEAMS_SYNTAX = frozenset("[]*_~`<>#@!")


class Target(Enum):
    MARKDOWN = "markdown"  # a line or list item of GitHub Markdown
    MARKDOWN_CELL = "markdown-cell"  # a cell of a GitHub Markdown table
    HTML = "html"
    SLACK = "slack"
    TEAMS = "teams"


def one_line(text: object, limit: int = MAX_LENGTH) -> str:
    """``text`` on one line, without control or invisible formatting characters, bounded."""
    flat = _BREAKS.sub(" ", str(text))
    kept = "".join(
        " " if char == "\t" else char
        for char in flat
        if char == "\t" or unicodedata.category(char) not in ("Cc", "Cf", "Co", "Cs")
    )
    kept = " ".join(kept.split(" ")).strip()
    return kept if len(kept) <= limit else kept[: limit - 1] + "…"


def _code_span(text: str) -> str:
    """A CommonMark code span holding ``text`` literally (empty text: an empty string)."""
    if not text:
        return ""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _no_comments(text: str) -> str:
    return text.replace("<!--", "<" + WORD_JOINER + "!--").replace("-->", "--" + WORD_JOINER + ">")


def _cell_pipes(text: str) -> str:
    """``|`` as ``\\|``; an odd run of backslashes before it gets one more (GFM pairs them)."""
    return re.sub(
        r"(\\*)\|",
        lambda found: found.group(1) + "\\" * (len(found.group(1)) % 2) + "\\|",
        text,
    )


def _no_links(text: str) -> str:
    return text.replace("://", ":" + WORD_JOINER + "//")


def inert(text: object, target: Target, limit: int = MAX_LENGTH) -> str:
    """``text`` from outside, rendered so ``target`` shows it and does nothing else."""
    clean = one_line("" if text is None else text, limit)
    match target:
        case Target.MARKDOWN:
            return _code_span(_no_comments(clean))
        case Target.MARKDOWN_CELL:
            return _cell_pipes(_code_span(_no_comments(clean)))
        case Target.HTML:
            return html.escape(clean, quote=True)
        case Target.SLACK:
            return html.escape(_no_links(clean), quote=False)
        case Target.TEAMS:
            joined = "".join(c + WORD_JOINER if c in _TEAMS_SYNTAX else c for c in clean)
            return _no_links(joined)
