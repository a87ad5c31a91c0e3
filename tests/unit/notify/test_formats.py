"""Notifications without a network: which certificates match ``on:``, and every format
against its schema (Adaptive Card 1.5, Slack Block Kit, docs/notify-webhook.schema.json).

tests/data/notify/adaptive-card-1.5.json is Microsoft's published schema
(github.com/microsoft/AdaptiveCards, schemas/1.5.0/adaptive-card.json at commit
644d933e185a8482c4dcf4c375d177aac37fd095, MIT licence), the file
adaptivecards.io/schemas/adaptive-card.json serves for version 1.5.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from renewer.config.types.notifiers import NotifySettings
from renewer.config.types.notify_email import EmailSettings, SmtpSettings
from renewer.config.types.notify_webhook import WebhookSettings
from renewer.notify import dispatch, slack, teams, webhook
from renewer.notify.event import Event, Links, build_event, categories_of
from renewer.notify.http import RetryPolicy
from renewer.notify.mail import EmailNotifier

DATA = Path(__file__).parents[2] / "data" / "notify"
DOCS = Path(__file__).parents[3] / "docs"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
LINKS = Links(
    run_url="https://github.example/acme/certs/actions/runs/77",
    tracking_url="https://github.example/acme/certs/issues/3",
    repository="acme/certs",
)


def _when(days: float) -> str:
    return (NOW + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def row(name: str, result: str | None, **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": name,
        "action": "renew" if result != "skipped" else "skip",
        "reason": "due",
        "result": result,
        "domains": [f"{name}.example"],
        "serial": "0a",
        "not_after": _when(40),
        "renew_at": None,
        "error": None,
        "duration_seconds": 1.0,
    }
    return {**base, **extra}


def report(*rows: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "generated_at": _when(0),
        "dry_run": False,
        "executed": True,
        "summary": {"total": len(rows)},
        "certificates": list(rows),
        "unmanaged": [],
        **top,
    }


FAILED_AT_RISK = row(
    "www-contoso-com",
    "failed",
    error="dns-01 for www.contoso.com failed: NXDOMAIN",
    not_after=_when(9),
    severity="at-risk",
    severity_words="at risk: expires in 9 days (2026-12-10)",
)
FAILED_EARLY = row("api-contoso-com", "failed", error="CA unavailable", severity="warning")
RENEWED = row("mail-contoso-com", "succeeded", not_after=_when(90))
UNCHANGED = row("old-contoso-com", "skipped")
# outcomes other helpers add: a generic field, a new result word, a top-level list
ORPHANED = row("gone-contoso-com", "orphaned", reason="in the store, no longer in the config")
DEFERRED = row("later-contoso-com", None, outcome="deferred", reason="max-new-orders reached")
BLOCKED = row("blocked-contoso-com", "skipped", status="blocked", reason="CAA forbids this CA")
AT_RISK_FIELD = row("risky-contoso-com", "skipped", at_risk=True, not_after=_when(5))
ALL_ROWS = (FAILED_AT_RISK, FAILED_EARLY, RENEWED, UNCHANGED, ORPHANED, DEFERRED, BLOCKED)


def event(on: tuple[str, ...] = ("all",), body: dict[str, Any] | None = None) -> Event:
    found = build_event(body or report(*ALL_ROWS, AT_RISK_FIELD), on, None, LINKS)
    assert found is not None
    return found


# -- matching on: -------------------------------------------------------------------
def test_categories_read_the_report_generically() -> None:
    assert categories_of(FAILED_AT_RISK) == ("failed", "at-risk")
    assert categories_of(FAILED_EARLY) == ("failed",)
    assert categories_of(ORPHANED) == ("orphaned",)
    assert categories_of(DEFERRED) == ("deferred",)
    assert categories_of(BLOCKED) == ("blocked",)
    assert categories_of(AT_RISK_FIELD) == ("at-risk",)
    assert categories_of(row("x", "skipped", at_risk="warning")) == ()
    assert categories_of(RENEWED) == ("succeeded",)
    assert categories_of(UNCHANGED) == ()


def test_default_on_is_failed_and_at_risk() -> None:
    found = event(NotifySettings("slack", None).on)
    names = [c.name for c in found.certificates]
    assert names == ["www-contoso-com", "api-contoso-com", "risky-contoso-com"]
    assert found.status == "failed"
    assert found.counts["failed"] == 2 and found.counts["at-risk"] == 2
    assert found.counts["unchanged"] == 1 and found.counts["total"] == 8


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (("orphaned",), ["gone-contoso-com"]),
        (("deferred",), ["later-contoso-com"]),
        (("blocked",), ["blocked-contoso-com"]),
        (("succeeded",), ["mail-contoso-com"]),
        (("at-risk",), ["www-contoso-com", "risky-contoso-com"]),
    ],
)
def test_each_on_value_selects_its_certificates(on: tuple[str, ...], expected: list[str]) -> None:
    assert [c.name for c in event(on).certificates] == expected


def test_top_level_outcome_lists_count_too() -> None:
    body = report(RENEWED, orphaned=["legacy-contoso-com"])
    found = build_event(body, ("orphaned",))
    assert found is not None
    assert [c.name for c in found.certificates] == ["legacy-contoso-com"]


def test_nothing_matched_sends_nothing_but_all_always_sends() -> None:
    quiet = report(RENEWED, UNCHANGED)
    assert build_event(quiet, ("failed", "at-risk")) is None
    every = build_event(report(UNCHANGED), ("all",))
    assert every is not None and every.certificates == () and every.status == "ok"
    assert every.title == "renewer: all certificates healthy"


def test_a_certificate_target_sees_only_its_certificates() -> None:
    found = build_event(report(*ALL_ROWS), ("all",), frozenset({"WWW-contoso-com"}))
    assert found is not None and [c.name for c in found.certificates] == ["www-contoso-com"]
    assert found.counts["total"] == 1
    assert build_event(report(*ALL_ROWS), ("failed",), frozenset({"mail-contoso-com"})) is None


def test_words_say_what_happened_and_when_it_expires() -> None:
    found = event(("failed",))
    assert found.title == "renewer: 2 certificates failed to renew (acme/certs)"
    assert found.headline.startswith("2 failed (2 at risk)")
    first = found.certificates[0]
    assert first.detail == (
        "renewal failed: dns-01 for www.contoso.com failed: NXDOMAIN "
        "(at risk: expires in 9 days (2026-12-10))"
    )
    assert found.certificates[1].detail.endswith(f"(expires {_when(40)[:10]})")


# -- formats against their schemas ----------------------------------------------------
def _schema(path: Path) -> jsonschema.protocols.Validator:
    document = json.loads(path.read_text())
    cls = jsonschema.validators.validator_for(document)
    cls.check_schema(document)
    return cls(document, format_checker=cls.FORMAT_CHECKER)


ADAPTIVE = _schema(DATA / "adaptive-card-1.5.json")
BLOCK_KIT = _schema(DATA / "slack-blocks.schema.json")
WEBHOOK = _schema(DOCS / "notify-webhook.schema.json")


def test_teams_card_is_an_adaptive_card_1_5_in_a_message_activity() -> None:
    body = teams.payload(event())
    assert body["type"] == "message" and len(body["attachments"]) == 1
    attachment = body["attachments"][0]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    ADAPTIVE.validate(card)
    assert card["version"] == "1.5" and card["type"] == "AdaptiveCard"
    facts = {f["title"]: f["value"] for f in card["body"][2]["facts"]}
    assert "at risk: expires in 9 days (2026-12-10)" in facts["www-contoso-com"]
    urls = [a["url"] for a in card["actions"]]
    assert urls == [LINKS.run_url, LINKS.tracking_url]


def test_schema_check_is_strict_enough_to_catch_a_wrong_card() -> None:
    card = teams.card(event())
    card["body"][0]["type"] = "Paragraph"  # not an Adaptive Card element
    assert list(ADAPTIVE.iter_errors(card))


def test_slack_message_uses_layout_blocks_within_limits() -> None:
    body = slack.payload(event())
    BLOCK_KIT.validate(body)
    kinds = [b["type"] for b in body["blocks"]]
    assert kinds[:3] == ["header", "section", "divider"] and kinds[-1] == "context"
    text = "\n".join(b["text"]["text"] for b in body["blocks"] if b["type"] == "section")
    assert "*www-contoso-com*" in text and "2026-12-10" in text
    assert f"<{LINKS.run_url}|Open the run>" in body["blocks"][-1]["elements"][0]["text"]


def test_slack_and_teams_stay_within_limits_for_a_thousand_failures() -> None:
    rows = [row(f"c{i:04d}-" + "x" * 40, "failed", error="e" * 500) for i in range(1000)]
    big = event(("failed",), report(*rows))
    body = slack.payload(big)
    BLOCK_KIT.validate(body)  # at most 50 blocks, 3000 characters a section
    assert len(body["blocks"]) == 50
    assert "more (see the run)" in body["blocks"][-2]["text"]["text"]
    card = teams.card(big)
    ADAPTIVE.validate(card)
    assert len(json.dumps(teams.payload(big))) < 28_000  # Teams' message size limit


def test_slack_escapes_control_characters() -> None:
    nasty = row("n", "failed", error="<!channel> & <https://evil|click>")
    text = json.dumps(slack.payload(event(("failed",), report(nasty))))
    assert "<!channel>" not in text and "&lt;!channel&gt; &amp;" in text


def test_webhook_body_matches_its_documented_schema() -> None:
    body = webhook.body(event())
    WEBHOOK.validate(body)
    assert body["version"] == 1 and body["kind"] == "run"
    assert body["run"]["tracking_issue"] == LINKS.tracking_url
    assert [c["name"] for c in body["certificates"]][:2] == ["www-contoso-com", "api-contoso-com"]
    assert webhook.body(event())["id"] == body["id"]  # stable: receivers drop repeats
    broken = {**body, "version": 2}
    assert list(WEBHOOK.iter_errors(broken))


def test_email_is_one_multipart_message_text_and_html() -> None:
    target = EmailNotifier(
        NotifySettings(
            "email",
            EmailSettings(
                SmtpSettings("127.0.0.1"), "certs@contoso.com", ("a@contoso.com", "b@contoso.com")
            ),
        ),
        RetryPolicy(),
    )
    data = target.render(event(("failed",))).body
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")  # SMTP line ends
    mail = message_from_bytes(data, policy=policy.default)
    assert isinstance(mail, EmailMessage)
    assert mail.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in mail.iter_parts()] == ["text/plain", "text/html"]
    assert mail["To"] == "a@contoso.com, b@contoso.com"
    plain = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert plain is not None and html is not None
    assert "www-contoso-com: renewal failed" in plain.get_content()
    assert LINKS.run_url in plain.get_content() and LINKS.tracking_url in plain.get_content()
    assert "<code>www-contoso-com</code>" in html.get_content()


def test_test_sample_reaches_every_target_whatever_its_on() -> None:
    quiet = NotifySettings("webhook", WebhookSettings("http://127.0.0.1:9/x"), on=("orphaned",))
    (done,) = dispatch.deliver([quiet], dispatch.sample_report(NOW), LINKS, send=False, test=True)
    assert done.state == "rendered" and done.message is not None
    body = json.loads(done.message.body)
    WEBHOOK.validate(body)
    assert body["kind"] == "test" and body["title"].startswith("renewer: test notification")
