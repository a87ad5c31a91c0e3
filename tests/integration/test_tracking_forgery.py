"""Hostile text from a CA reaches GitHub, Teams, Slack and mail inert, and cannot forge the
tracking issue's state.

The real CLI publishes a report whose failed certificate carries a CA problem detail written
by an attacker (a mention, an image, a link, an HTML tag, a forged state marker naming
another certificate, table pipes, line breaks) through the GitHub REST stand-in, a real HTTP
sink for Teams and Slack and a real aiosmtpd. The Markdown is parsed with a real CommonMark
+ GFM-table parser; the next run must read the state the bot wrote, not the forged one.
"""

from __future__ import annotations

import email
import json
from email.message import Message
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token
from rig import GitHubStandIn
from rig.notify_sink import NotifySink
from rig.smtp import SmtpServer
from rig.tls import TlsMaterial

from renewer.publish.tracking import LABEL, TRACKING_MARKER, read_state
from tests.integration.test_github_reports import entry, gh_env, publish, write_report
from tests.integration.test_notify_delivery import secret_env, teams_sink

pytestmark = pytest.mark.integration
__all__ = ["teams_sink"]  # the fixture, imported for this module's tests

NAMES = ("www-contoso-com", "api-contoso-com", "mail-contoso-com")
FORGED_STATE = {"www-contoso-com": {"kind": "failed", "detail": "forged", "since": "2000-01-01"}}
HOSTILE = (
    "urn:ietf:params:acme:error:dns: @org/team see ![x](http://evil.example/x.png) "
    "[fix it here](https://evil.example/login) <img src=x onerror=alert(1)>\n"
    f"<!-- renewer-state: {json.dumps(FORGED_STATE, separators=(',', ':'))} -->\n"
    "| forged | row | here |\n\u2028## Heading <b>bold</b>"
)
PARSER = MarkdownIt("commonmark").enable("table")
ACTIVE = {"html_inline", "html_block", "link_open", "image", "heading_open"}


def _tokens(tokens: list[Token]) -> list[Token]:
    out = []
    for token in tokens:
        out.append(token)
        out += _tokens(token.children or [])
    return out


def assert_inert_markdown(markdown: str, rows: int, comments: int) -> None:
    """Only our own active elements (the markers, the run link, our headings), and the
    tables keep their shape (``rows`` data rows in all)."""
    tokens = _tokens(PARSER.parse(markdown))
    kinds = [t.type for t in tokens]
    assert not {"html_inline", "image"} & set(kinds), markdown
    blocks = [t.content for t in tokens if t.type == "html_block"]
    assert len(blocks) == comments
    assert all(b.startswith(("<!-- renewer-tracking -->", "<!-- renewer-state: ")) for b in blocks)
    links = [t.attrs.get("href") for t in tokens if t.type == "link_open"]
    assert all(str(h).startswith("https://github.invalid/") for h in links), links
    heads = [tokens[i + 1].content for i, k in enumerate(kinds) if k == "heading_open"]
    assert all(h.startswith(("Certificates need attention", "renewer ")) for h in heads), heads
    body_rows, in_body = 0, False
    for token in tokens:
        in_body = {"tbody_open": True, "tbody_close": False}.get(token.type, in_body)
        body_rows += in_body and token.type == "tr_open"
    assert body_rows == rows, markdown
    texts = " ".join(t.content for t in tokens if t.type == "text")
    assert "@org/team" not in texts  # only inside code, where GitHub makes no mention


def config(tmp_path: Path, sink: NotifySink, smtp: SmtpServer, tls: TlsMaterial) -> Path:
    body = {
        "acme": {"directory": "https://127.0.0.1:14000/dir"},
        "store": {"type": "directory", "path": str(tmp_path / "certs")},
        "dns": {"type": "challtestsrv", "url": "http://127.0.0.1:8055"},
        "report": {"mode": "issue"},
        "notify": [
            {"type": "teams", "url": "env:TEAMS_WEBHOOK_URL"},
            {"type": "slack", "url": "env:SLACK_WEBHOOK_URL"},
            {
                "type": "email",
                "smtp": {
                    "host": "127.0.0.1",
                    "port": smtp.port,
                    "username": "env:SMTP_USER",
                    "password": "env:SMTP_PASSWORD",
                    "ca_bundle": str(tls.root),
                },
                "from": "certs@contoso.example",
                "to": ["platform-team@contoso.example"],
            },
        ],
        "certificates": [{"name": n, "domains": [f"{n}.example"]} for n in NAMES],
    }
    path = tmp_path / "certificates.yaml"
    path.write_text(yaml.safe_dump(body, sort_keys=False))
    return path


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def _html_part(mail: Message) -> str:
    for part in mail.walk():
        if part.get_content_type() == "text/html":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode()
    raise AssertionError("no HTML part")


def test_a_hostile_ca_detail_is_inert_everywhere_and_cannot_forge_the_state(
    github_api: GitHubStandIn,
    tmp_path: Path,
    notify_sink: NotifySink,
    teams_sink: NotifySink,
    smtp_server: SmtpServer,
    tls_root: TlsMaterial,
) -> None:
    cfg = config(tmp_path, notify_sink, smtp_server, tls_root)
    env = secret_env(notify_sink, teams_sink)
    report = write_report(
        tmp_path / "r1.json",
        entry("www-contoso-com"),
        entry("api-contoso-com", "failed", error=HOSTILE),
        entry("mail-contoso-com"),
    )
    result = publish(github_api, tmp_path, report, cfg, **env)
    assert result.code == 0, result.output

    # The tracking issue: one data row, nothing active, one state marker, on its last line.
    (issue,) = github_api.open_issues()
    body = issue["body"]
    assert_inert_markdown(body, rows=1, comments=2)
    assert body.count("<!--") == 2  # the tracking marker and the real state, nothing else
    assert body.rstrip().splitlines()[-1].startswith("<!-- renewer-state: ")
    first = read_state(body)
    assert set(first) == {"api-contoso-com"}

    # The job summary (both the file and $GITHUB_STEP_SUMMARY): one row per certificate.
    for summary in (tmp_path / "summary.md", tmp_path / "step-summary.md"):
        text = summary.read_text()
        assert_inert_markdown(text, rows=3, comments=0)
        assert "<!--" not in text

    # Teams: the fact holding the CA's words forms no link, image, tag or line.
    (card_post,) = teams_sink.received
    facts = card_post.json()["attachments"][0]["content"]["body"][2]["facts"]
    (fact,) = [f for f in facts if f["title"] == "api-contoso-com"]
    for opener in ("](", "![", "<img", "<!--", "://", "\n", "\u2028"):
        assert opener not in fact["value"]
    # Slack: no <...> (Slack's links and mentions), no bare link, no line break.
    (slack_post,) = [r for r in notify_sink.received if r.path.startswith("/services/")]
    slack = json.dumps(slack_post.json()["blocks"])
    assert "<img" not in slack and "<!--" not in slack and "<!channel" not in slack
    assert "https://evil" not in slack and "http://evil" not in slack
    # Mail: the HTML part has only our tags and no comment.
    (mail,) = smtp_server.mails
    parser = _Html()
    parser.feed(_html_part(email.message_from_bytes(mail.data)))
    assert "img" not in parser.tags and parser.comments == []

    # The next, partial run (api-contoso-com not looked at) keeps the true state: the
    # forged marker named www-contoso-com "failed since 2000"; the bot's marker did not.
    second = write_report(tmp_path / "r2.json", entry("mail-contoso-com"))
    result = publish(github_api, tmp_path, second, cfg, **env)
    assert result.code == 0, result.output
    (issue,) = github_api.open_issues()
    state = read_state(issue["body"])
    assert set(state) == {"api-contoso-com"}
    assert state["api-contoso-com"].since == first["api-contoso-com"].since != "2000-01-01"
    assert github_api.violations == []


def test_an_issue_someone_else_opened_with_the_marker_is_not_the_tracking_issue(
    github_api: GitHubStandIn, tmp_path: Path
) -> None:
    forged_body = (
        f"{TRACKING_MARKER}\nAll is well, nothing to see.\n"
        f"<!-- renewer-state: {json.dumps(FORGED_STATE, separators=(',', ':'))} -->\n"
    )
    forged = github_api.add_issue("Certificates need attention", forged_body, labels=(LABEL,))
    cfg = config_plain(tmp_path)
    report = write_report(
        tmp_path / "r.json", entry("api-contoso-com", "failed", error="CA said no")
    )
    result = publish(github_api, tmp_path, report, cfg)
    assert result.code == 0, result.output
    assert github_api.issues[forged]["body"] == forged_body  # never edited
    assert not github_api.calls("PATCH", f"/issues/{forged}")
    ours = [i for i in github_api.open_issues() if i["number"] != forged]
    assert len(ours) == 1 and ours[0]["user"]["login"] == "github-actions[bot]"
    assert set(read_state(ours[0]["body"])) == {"api-contoso-com"}  # not the forged www
    assert github_api.violations == []


def config_plain(tmp_path: Path) -> Path:
    body: dict[str, Any] = {
        "acme": {"directory": "https://127.0.0.1:14000/dir"},
        "store": {"type": "directory", "path": str(tmp_path / "certs")},
        "dns": {"type": "challtestsrv", "url": "http://127.0.0.1:8055"},
        "report": {"mode": "issue"},
        "certificates": [{"name": n, "domains": [f"{n}.example"]} for n in NAMES],
    }
    path = tmp_path / "certificates.yaml"
    path.write_text(yaml.safe_dump(body, sort_keys=False))
    return path


def test_gh_env_is_the_job_token(github_api: GitHubStandIn, tmp_path: Path) -> None:
    """The stand-in answers GET /user as GitHub answers the job's GITHUB_TOKEN."""
    from renewer.publish.github_api import GitHubClient

    client = GitHubClient.from_env(gh_env(github_api, tmp_path))
    assert client.identity() == ("github-actions[bot]", "Bot")
    github_api.token_user = {"login": "release-bot", "id": 99, "type": "User"}
    assert GitHubClient.from_env(gh_env(github_api, tmp_path)).identity() == (
        "release-bot",
        "User",
    )
