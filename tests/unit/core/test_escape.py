"""Untrusted text is inert in every target: proven with a real CommonMark + GFM-table parser
(markdown-it-py) for Markdown, Python's own HTML parser for mail, and the chat syntaxes'
documented openers for Slack and Teams.
"""

from __future__ import annotations

from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from renewer.core.escape import WORD_JOINER, Target, inert, one_line

HOSTILE = (
    "@org/team please look ![x](http://evil.example/p.png) [click](https://evil.example) "
    '<img src=x onerror=alert(1)> <!-- renewer-state: {"api":{"kind":"failed"}} --> '
    "| broken | row |\nnew line\r\n# heading\u2028* item ``code`` \\| #123 <b>bold</b>"
)
PARSER = MarkdownIt("commonmark").enable("table")
ACTIVE = {"html_inline", "html_block", "link_open", "image", "em_open", "strong_open"}
# Text that tries every Markdown, HTML and chat opener, with line breaks of every kind.
WORDS = st.text(
    alphabet=st.sampled_from(list("ab |\\`<>!-[]()@#*_~:/{}\"'&;\n\r\u2028\u0085\t\u202e\x00")),
    max_size=60,
)


def _tokens(tokens: list[Token]) -> list[Token]:
    out = []
    for token in tokens:
        out.append(token)
        out += _tokens(token.children or [])
    return out


def _table(cell: str) -> list[Token]:
    return _tokens(PARSER.parse(f"| A | B |\n|---|---|\n| {cell} | end |\n"))


def _shown(text: str) -> str:
    """What a reader sees: the clean line with our invisible word joiners."""
    clean = one_line(text)
    return clean.replace("<!--", f"<{WORD_JOINER}!--").replace("-->", f"--{WORD_JOINER}>")


def _unpaired(texts: list[str]) -> list[str]:
    """A backslash run before a pipe gets one more backslash (GFM pairs them): compare
    texts with every double backslash read as one."""
    return [text.replace("\\\\", "\\") for text in texts]


def test_the_hostile_sample_is_one_literal_code_span_in_one_table_cell() -> None:
    cell = inert(HOSTILE, Target.MARKDOWN_CELL)
    tokens = _table(cell)
    assert not {t.type for t in tokens} & ACTIVE
    assert [t.type for t in tokens].count("tr_open") == 2  # header and one row: no break
    cells = [t for t in tokens if t.type == "td_open"]
    assert len(cells) == 2
    code = [t.content for t in tokens if t.type == "code_inline"]
    assert _unpaired(code) == [_unpaired([_shown(HOSTILE)])[0]]
    assert "<!--" not in cell and "-->" not in cell and "\n" not in cell


@settings(max_examples=300, deadline=None)
@given(WORDS)
def test_any_text_stays_in_its_cell_and_reads_as_it_came(text: str) -> None:
    tokens = _table(inert(text, Target.MARKDOWN_CELL))
    assert not {t.type for t in tokens} & ACTIVE
    assert len([t for t in tokens if t.type == "td_open"]) == 2
    code = [t.content for t in tokens if t.type == "code_inline"]
    shown = _shown(text)
    if shown.strip(" "):
        assert _unpaired(code) == _unpaired([shown])
    cell = inert(text, Target.MARKDOWN_CELL)
    assert "<!--" not in cell and "-->" not in cell


@settings(max_examples=200, deadline=None)
@given(WORDS)
def test_a_markdown_line_is_one_code_span(text: str) -> None:
    line = inert(text, Target.MARKDOWN)
    tokens = _tokens(PARSER.parse(f"> warning: {line}\n"))
    assert not {t.type for t in tokens} & ACTIVE
    assert [t.type for t in tokens].count("paragraph_open") == 1
    if one_line(text).strip(" "):
        assert [t.content for t in tokens if t.type == "code_inline"] == [_shown(text)]


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.comments: list[str] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)

    def handle_data(self, data: str) -> None:
        self.text += data


@settings(max_examples=200, deadline=None)
@given(WORDS)
def test_html_is_text_only(text: str) -> None:
    parser = _Collect()
    parser.feed(f"<td>{inert(text, Target.HTML)}</td>")
    parser.close()
    assert parser.tags == ["td"] and parser.comments == []
    assert parser.text == one_line(text)


def test_slack_and_teams_form_no_mention_link_or_tag() -> None:
    slack = inert(HOSTILE + " <!channel> <@U123> <https://evil|x>", Target.SLACK)
    assert "<" not in slack and ">" not in slack  # Slack's links and mentions start with <
    assert "://" not in slack and "\n" not in slack
    teams = inert(HOSTILE, Target.TEAMS)
    assert "](" not in teams and "![" not in teams and "://" not in teams  # no link or image
    assert "<img" not in teams and "<!--" not in teams and "\n" not in teams
    assert teams.replace(WORD_JOINER, "") == one_line(HOSTILE)  # reads the same


def test_invisible_and_reordering_characters_are_dropped() -> None:
    assert one_line("ok\u202etxt.exe\u200b\x1b[31m") == "oktxt.exe[31m"
    assert one_line("a\u2028b\u0085c\r\nd\te") == "a b c d e"
    assert one_line("x" * 5000, limit=10) == "x" * 9 + "…"
