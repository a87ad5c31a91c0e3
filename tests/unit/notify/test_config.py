"""The notify: lists in certificates.yaml (renewer/config/notify.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from renewer.config.loader import ConfigError, load_config
from renewer.config.types.notifiers import DEFAULT_ON, NotifySettings
from renewer.config.types.notify_email import SmtpSettings
from renewer.config.types.notify_teams import ChatSettings
from renewer.core.settings import SecretRef
from renewer.notify import dispatch
from renewer.notify.event import Links

HEAD = """\
acme: {directory: letsencrypt}
store: {type: directory}
dns: {type: challtestsrv, url: "http://127.0.0.1:8055"}
"""
ENV = {"SLACK_URL": "https://hooks.slack.example/T/B/x", "SMTP_PASSWORD": "pw", "SMTP_USER": "u"}


def load(tmp_path: Path, text: str) -> tuple[NotifySettings, ...]:
    path = tmp_path / "certificates.yaml"
    path.write_text(HEAD + text)
    return load_config(path, ENV).notify


def test_issue_example_loads_with_a_bare_on_key(tmp_path: Path) -> None:
    teams, mail = load(
        tmp_path,
        """\
notify:
  - type: teams
    url: env:SLACK_URL
    on: [failed, at-risk, orphaned]
  - type: email
    smtp: {host: smtp.contoso.com, port: 587, starttls: true, username: env:SMTP_USER,
           password: env:SMTP_PASSWORD}
    from: certs@contoso.com
    to: [platform-team@contoso.com]
certificates:
  - {name: demo, domains: [example.com]}
""",
    )
    assert teams == NotifySettings(
        "teams", ChatSettings(SecretRef("SLACK_URL")), ("failed", "at-risk", "orphaned")
    )
    assert mail.on == DEFAULT_ON and mail.certificates is None
    assert mail.target.smtp == SmtpSettings(
        "smtp.contoso.com", 587, True, SecretRef("SMTP_USER"), SecretRef("SMTP_PASSWORD")
    )
    email = mail.target
    assert email.sender == "certs@contoso.com" and email.to == ("platform-team@contoso.com",)


def test_one_channel_named_by_several_certificates_is_one_target(tmp_path: Path) -> None:
    targets = load(
        tmp_path,
        """\
certificates:
  - {name: a, domains: [a.example.com], notify: [{type: slack, url: env:SLACK_URL}]}
  - {name: b, domains: [b.example.com], notify: [{type: slack, url: env:SLACK_URL}]}
  - name: c
    domains: [c.example.com]
    notify: [{type: slack, url: env:SLACK_URL, "on": [all]}]
""",
    )
    assert [(t.on, t.certificates) for t in targets] == [
        (DEFAULT_ON, frozenset({"a", "b"})),
        (("all",), frozenset({"c"})),
    ]


def test_a_top_level_target_covers_a_certificate_naming_it_again(tmp_path: Path) -> None:
    (only,) = load(
        tmp_path,
        """\
notify: [{type: slack, url: env:SLACK_URL}]
certificates:
  - {name: a, domains: [a.example.com], notify: [{type: slack, url: env:SLACK_URL}]}
""",
    )
    assert only.certificates is None


def test_the_message_never_repeats_a_secret(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(
            tmp_path,
            """\
notify: [{type: slack, url: "https://hooks.slack.example/T0/B0/s3cr3t-token"}]
certificates: [{name: a, domains: [a.example.com]}]
""",
        )
    assert "give it as env:NAME" in str(caught.value)
    assert "s3cr3t-token" not in str(caught.value)


def test_an_unset_variable_does_not_stop_validation_and_warns_at_send(tmp_path: Path) -> None:
    """PR checks and renew shards validate without the notification secrets."""
    path = tmp_path / "certificates.yaml"
    path.write_text(
        HEAD
        + "notify: [{type: slack, url: env:NOT_SET_ANYWHERE}]\n"
        + "certificates: [{name: a, domains: [a.example.com]}]\n"
    )
    (target,) = load_config(path, {}).notify
    (done,) = dispatch.deliver([target], dispatch.sample_report(), Links(), test=True)
    assert done.failed and done.detail == "environment variable NOT_SET_ANYWHERE is not set"
