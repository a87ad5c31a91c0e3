"""Notifications over real sockets: a local HTTP server (tests/rig/notify_sink.py) for
Teams, Slack and the generic webhook, a real aiosmtpd with STARTTLS and AUTH for mail.

Payloads are checked against their schemas, the webhook's HMAC is recomputed,
faults (500, 429 with Retry-After, an endpoint that never answers, a closed
port, a refused login) are injected, and every payload and output line is
scanned for the secret values set here.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
import yaml
from rig import TlsMaterial, free_port
from rig.notify_sink import NotifySink
from rig.smtp import SmtpServer

from renewer.config.types.notifiers import NotifySettings
from renewer.config.types.notify_email import EmailSettings, SmtpSettings
from renewer.config.types.notify_teams import ChatSettings
from renewer.config.types.notify_webhook import WebhookSettings
from renewer.core.settings import SecretRef
from renewer.notify import dispatch
from renewer.notify.event import Links
from tests.conftest import SMTP_PASSWORD, SMTP_USER
from tests.integration.runner import run_cli
from tests.unit.notify.test_formats import (
    ADAPTIVE,
    BLOCK_KIT,
    FAILED_AT_RISK,
    RENEWED,
    WEBHOOK,
    report,
)

pytestmark = pytest.mark.integration

HOOK_SECRET = "whsec-6b1f0c2e9a7d4c55"
TEAMS_SIG = "sig-Qm9vX2lzX2Ffc2VjcmV0"
SLACK_TOKEN = "T0001-B0002-XoxbSecret77"


@pytest.fixture
def teams_sink() -> Iterator[NotifySink]:
    """Teams Workflows triggers answer 202 Accepted with an empty body."""
    with NotifySink(accept_status=202, accept_body=b"") as sink:
        yield sink


def secret_env(sink: NotifySink, teams: NotifySink) -> dict[str, str]:
    return {
        "TEAMS_WEBHOOK_URL": f"{teams.url}/workflows/trigger?api-version=1&{TEAMS_SIG}",
        "SLACK_WEBHOOK_URL": f"{sink.url}/services/{SLACK_TOKEN}",
        "HOOK_SECRET": HOOK_SECRET,
        "SMTP_USER": SMTP_USER,
        "SMTP_PASSWORD": SMTP_PASSWORD,
        "RENEWER_NOTIFY_BACKOFF": "0.05",
    }


def notify_config(sink: NotifySink, smtp: SmtpServer, tls: TlsMaterial) -> list[dict[str, Any]]:
    return [
        {"type": "teams", "url": "env:TEAMS_WEBHOOK_URL", "name": "platform"},
        {"type": "slack", "url": "env:SLACK_WEBHOOK_URL"},
        {"type": "webhook", "url": f"{sink.url}/hook", "secret": "env:HOOK_SECRET"},
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
    ]


def write_config(tmp_path: Path, notify: list[dict[str, Any]], **parts: Any) -> Path:
    body = {
        "acme": {"directory": "https://127.0.0.1:14000/dir"},
        "store": {"type": "directory", "path": str(tmp_path / "certs")},
        "dns": {"type": "challtestsrv", "url": "http://127.0.0.1:8055"},
        "notify": notify,
        "certificates": [{"name": "www-contoso-com", "domains": ["www.contoso.example"]}],
        **parts,
    }
    path = tmp_path / "certificates.yaml"
    path.write_text(yaml.safe_dump(body, sort_keys=False))
    return path


def assert_no_secrets(*texts: str | bytes) -> None:
    for text in texts:
        data = text if isinstance(text, str) else text.decode("utf-8", "replace")
        for secret in (HOOK_SECRET, TEAMS_SIG, SLACK_TOKEN, SMTP_PASSWORD, SMTP_USER):
            assert secret not in data


def check_deliveries(
    sink: NotifySink, teams: NotifySink, smtp: SmtpServer, expect: list[str]
) -> list[bytes]:
    """Exactly one message per target, each valid; returns every payload for the scan."""
    (card_post,) = teams.received
    assert card_post.path.startswith("/workflows/trigger") and card_post.status == 202
    card = card_post.json()["attachments"][0]["content"]
    ADAPTIVE.validate(card)
    facts = [f["title"] for f in card["body"][2]["facts"]]
    assert facts == expect
    (slack_post,) = sink.posts(f"/services/{SLACK_TOKEN}")
    BLOCK_KIT.validate(slack_post.json())
    (hook,) = sink.posts("/hook")
    expected = "sha256=" + hmac.new(HOOK_SECRET.encode(), hook.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(hook.headers["X-Renewer-Signature-256"], expected)
    event = hook.json()
    WEBHOOK.validate(event)
    assert [c["name"] for c in event["certificates"]] == expect
    assert hook.headers["X-Renewer-Delivery"] == event["id"]
    (mail,) = smtp.mails
    assert smtp.logins == [(SMTP_USER, True)]  # AUTH only after STARTTLS
    parsed = message_from_bytes(mail.data, policy=policy.default)
    assert parsed.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]
    assert mail.recipients == ["platform-team@contoso.example"]
    return [card_post.body, slack_post.body, hook.body, mail.data]


def test_every_target_gets_one_valid_message(
    tmp_path: Path,
    notify_sink: NotifySink,
    teams_sink: NotifySink,
    smtp_server: SmtpServer,
    tls_root: TlsMaterial,
) -> None:
    cfg = write_config(tmp_path, notify_config(notify_sink, smtp_server, tls_root))
    (tmp_path / "r.json").write_text(json.dumps(report(FAILED_AT_RISK, RENEWED)))
    env = {
        **secret_env(notify_sink, teams_sink),
        "GITHUB_REPOSITORY": "acme/certs",
        "GITHUB_RUN_ID": "99",
        "GITHUB_SERVER_URL": "https://github.example",
    }
    result = run_cli("notify", "--report", str(tmp_path / "r.json"), "-c", str(cfg), env=env)
    assert result.code == 0, result.output
    assert result.stdout.count(": sent (") == 4
    payloads = check_deliveries(notify_sink, teams_sink, smtp_server, ["www-contoso-com"])
    run = "https://github.example/acme/certs/actions/runs/99"
    assert all(run.encode() in p for p in payloads)
    assert b"2026-12-10" in payloads[3]  # the mail says when it expires
    assert_no_secrets(result.stdout, result.stderr, *payloads)


def test_dry_run_prints_and_sends_nothing(
    tmp_path: Path,
    notify_sink: NotifySink,
    teams_sink: NotifySink,
    smtp_server: SmtpServer,
    tls_root: TlsMaterial,
) -> None:
    cfg = write_config(tmp_path, notify_config(notify_sink, smtp_server, tls_root))
    env = secret_env(notify_sink, teams_sink)
    result = run_cli("notify", "--test", "--dry-run", "-c", str(cfg), env=env)
    assert result.code == 0, result.output
    assert "--- teams 'platform' (application/json) ---" in result.stdout
    assert "Content-Type: multipart/alternative" in result.stdout
    assert notify_sink.received == teams_sink.received == smtp_server.mails == []
    assert_no_secrets(result.stdout, result.stderr)


# -- failure injection (in process, real sockets) ---------------------------------------
def hook_target(url: str, timeout: float = 5.0) -> NotifySettings[WebhookSettings]:
    return NotifySettings("webhook", WebhookSettings(url), on=("all",), timeout=timeout)


def send(target: NotifySettings[Any]) -> tuple[dispatch.Delivery, float]:
    started = time.monotonic()
    (done,) = dispatch.deliver([target], report(FAILED_AT_RISK), Links())
    return done, time.monotonic() - started


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RENEWER_NOTIFY_BACKOFF", "0.05")


def test_a_500_is_retried(notify_sink: NotifySink) -> None:
    notify_sink.respond(500)
    notify_sink.respond(502)
    done, _ = send(hook_target(notify_sink.url + "/h"))
    assert done.state == "sent" and "after 3 attempt(s)" in done.detail
    assert [r.status for r in notify_sink.received] == [500, 502, 200]


def test_retry_after_is_honoured(notify_sink: NotifySink) -> None:
    notify_sink.respond(429, retry_after="1")
    done, took = send(hook_target(notify_sink.url + "/h"))
    first, second = notify_sink.received
    assert done.state == "sent"
    assert 1.0 <= second.at - first.at < 2.5  # waited as asked, not the 0.05s backoff
    assert took < 3


def test_a_retry_after_beyond_the_budget_gives_up_at_once(notify_sink: NotifySink) -> None:
    notify_sink.respond(429, retry_after="3600")
    done, took = send(hook_target(notify_sink.url + "/h"))
    assert done.failed and "HTTP 429" in done.detail and "time budget" in done.detail
    assert len(notify_sink.received) == 1 and took < 2


def test_persistent_5xx_stops_after_the_attempts(
    notify_sink: NotifySink, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(10):
        notify_sink.respond(503)
    monkeypatch.setenv("RENEWER_NOTIFY_ATTEMPTS", "3")
    done, _ = send(hook_target(notify_sink.url + "/h"))
    assert done.failed and done.detail.startswith("HTTP 503") and "after 3 attempt" in done.detail
    assert len(notify_sink.received) == 3


def test_an_endpoint_that_never_answers_is_bounded(
    notify_sink: NotifySink, monkeypatch: pytest.MonkeyPatch
) -> None:
    notify_sink.hang = True
    monkeypatch.setenv("RENEWER_NOTIFY_ATTEMPTS", "2")
    done, took = send(hook_target(notify_sink.url + "/h", timeout=1.0))
    assert done.failed and "no answer within 1s" in done.detail
    assert len(notify_sink.received) == 2 and took < 4


def test_a_closed_port_fails_without_naming_the_url(monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()
    monkeypatch.setenv("DEAD_URL", f"http://127.0.0.1:{port}/secret-path-{SLACK_TOKEN}")
    done, took = send(NotifySettings("slack", ChatSettings(SecretRef("DEAD_URL")), timeout=2.0))
    assert done.failed and done.detail.startswith("cannot connect (ConnectionError)")
    assert str(port) not in done.detail and SLACK_TOKEN not in done.detail
    assert took < 5


def test_a_refused_smtp_login_is_not_retried(
    smtp_server: SmtpServer, tls_root: TlsMaterial, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMTP_USER", SMTP_USER)
    monkeypatch.setenv("SMTP_PASSWORD", "wrong-password-123")
    smtp = SmtpSettings(
        "127.0.0.1",
        smtp_server.port,
        True,
        SecretRef("SMTP_USER"),
        SecretRef("SMTP_PASSWORD"),
        tls_root.root,
    )
    target = NotifySettings(
        "email", EmailSettings(smtp, "c@x.example", ("o@x.example",)), on=("all",)
    )
    done, _ = send(target)
    assert done.failed and done.detail.startswith("SMTP 535")
    # one connection: smtplib tries each mechanism offered (PLAIN, LOGIN) once; a retry would
    # have opened another and doubled this
    assert smtp_server.logins == [(SMTP_USER, True)] * 2 and smtp_server.mails == []
    assert "wrong-password-123" not in done.detail


def test_starttls_checks_the_server_certificate(smtp_server: SmtpServer) -> None:
    smtp = SmtpSettings("127.0.0.1", smtp_server.port, True)  # system CAs: rig root not trusted
    target = NotifySettings(
        "email", EmailSettings(smtp, "c@x.example", ("o@x.example",)), on=("all",)
    )
    done, _ = send(target)
    assert done.failed and "STARTTLS failed" in done.detail
    assert smtp_server.mails == []


def test_notify_test_sends_a_sample_and_fails_loudly_on_a_dead_target(
    tmp_path: Path, notify_sink: NotifySink
) -> None:
    dead = f"http://127.0.0.1:{free_port()}/dead"
    cfg = write_config(
        tmp_path,
        [
            {"type": "webhook", "url": f"{notify_sink.url}/hook", "on": ["orphaned"]},
            {"type": "webhook", "url": dead, "name": "cmdb"},
        ],
    )
    result = run_cli("notify", "--test", "-c", str(cfg), env={"RENEWER_NOTIFY_BACKOFF": "0.05"})
    assert result.code == 1, result.output  # --test is a check
    (hook,) = notify_sink.posts("/hook")  # the sample ignores on:
    WEBHOOK.validate(hook.json())
    assert hook.json()["kind"] == "test" and hook.headers["X-Renewer-Event"] == "test"
    assert "warning: notification to webhook 'cmdb' failed: cannot connect" in result.stderr
    assert dead not in result.output
