"""Notifier types are declared once: a settings class (its field table), a dotted factory."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from renewer.config.fields import SECTIONS, TYPED
from renewer.config.types.notifiers import NotifySettings
from renewer.config.types.notify_email import EmailSettings, SmtpSettings
from renewer.config.types.notify_teams import ChatSettings
from renewer.config.types.notify_webhook import WebhookSettings
from renewer.config.types.registry import NOTIFIER_TYPES
from renewer.core import dotted
from renewer.core.settings import SecretRef
from renewer.notify import chat
from renewer.notify.dispatch import notifier
from renewer.notify.http import RetryPolicy

REPO = Path(__file__).resolve().parents[3]
SETTINGS = {
    "teams": NotifySettings("teams", ChatSettings(SecretRef("TEAMS_URL"))),
    "slack": NotifySettings("slack", ChatSettings(SecretRef("SLACK_URL"))),
    "webhook": NotifySettings(
        "webhook", WebhookSettings("https://hooks.example.test/x"), name="ops"
    ),
    "email": NotifySettings(
        "email", EmailSettings(SmtpSettings("127.0.0.1"), "a@example.test", ("b@example.test",))
    ),
}


@pytest.mark.parametrize("name", sorted(NOTIFIER_TYPES))
def test_each_type_builds_its_notifier_from_its_factory_path(name: str) -> None:
    declared = NOTIFIER_TYPES[name]
    assert SECTIONS[f"notify.{name}"] == declared.fields  # the schema reads the same table
    made = notifier(SETTINGS[name], RetryPolicy())
    assert made.label == SETTINGS[name].label
    assert callable(made.render) and callable(made.send)
    assert made.__class__.__module__ == declared.factory.partition(":")[0]


def test_teams_and_slack_share_one_chat_notifier_with_their_own_payloads() -> None:
    assert dotted.load(NOTIFIER_TYPES["teams"].factory) is chat.teams
    teams = chat.teams(SETTINGS["teams"], RetryPolicy())
    slack = chat.slack(SETTINGS["slack"], RetryPolicy())
    assert type(teams) is type(slack) is chat.ChatNotifier
    assert teams.payload is not slack.payload


def test_the_notify_type_enum_is_the_declared_types() -> None:
    assert TYPED["notify"] == tuple(NOTIFIER_TYPES) == ("teams", "email", "slack", "webhook")


def test_a_dotted_path_is_module_colon_name() -> None:
    assert dotted.load("renewer.core.dotted:load") is dotted.load
    with pytest.raises(ValueError, match=r"not a 'package\.module:name' path"):
        dotted.load("renewer.core.dotted.load")


def test_implementations_are_imported_only_when_a_target_uses_them() -> None:
    probe = (
        "import sys, renewer.notify.dispatch, renewer.config.loader\n"
        "print(sorted(m for m in sys.modules if m.startswith('renewer.notify.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, check=True
    ).stdout
    assert "renewer.notify.mail" not in out and "renewer.notify.webhook" not in out, out
    assert "renewer.notify.dispatch" in out
