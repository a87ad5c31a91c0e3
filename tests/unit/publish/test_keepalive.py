"""publish.keepalive: the renew workflow's schedule kept on, unless a person switched it off.

GitHub's side is the rig's REST stand-in (tests/rig/github_api.py), whose
``PUT .../enable`` answers as GitHub documents it.
"""

from __future__ import annotations

import pytest
from rig.github_api import GitHubStandIn

from renewer.publish.github_api import GitHubClient, GitHubError, RetryPolicy
from renewer.publish.keepalive import keep_enabled


def client(api: GitHubStandIn) -> GitHubClient:
    return GitHubClient(api.token, api.repository, api.url, RetryPolicy(attempts=1))


def test_a_schedule_disabled_for_inactivity_is_enabled_again(github_api: GitHubStandIn) -> None:
    github_api.workflows["renew.yml"]["state"] = "disabled_inactivity"
    lines = keep_enabled(client(github_api), ["renew.yml"])
    assert lines == ["workflow renew.yml: enabled (was disabled_inactivity); its schedule stays on"]
    assert github_api.workflows["renew.yml"]["state"] == "active"
    assert [c.method for c in github_api.calls(path_contains="/actions/workflows/")] == [
        "GET",
        "PUT",
    ]


def test_an_active_schedule_is_enabled_again_without_saying_was(
    github_api: GitHubStandIn,
) -> None:
    assert keep_enabled(client(github_api), ["renew.yml"]) == [
        "workflow renew.yml: enabled; its schedule stays on"
    ]


def test_a_workflow_a_person_switched_off_is_left_off(github_api: GitHubStandIn) -> None:
    github_api.workflows["renew.yml"]["state"] = "disabled_manually"
    lines = keep_enabled(client(github_api), ["renew.yml"])
    assert lines == ["workflow renew.yml: disabled_manually, left off (switched off by a person)"]
    assert github_api.calls("PUT") == []
    assert github_api.workflows["renew.yml"]["state"] == "disabled_manually"


def test_a_missing_workflow_is_a_404_naming_it(github_api: GitHubStandIn) -> None:
    with pytest.raises(GitHubError, match=r"no workflow nightly\.yml in this repository"):
        keep_enabled(client(github_api), ["nightly.yml"])


def test_a_token_without_actions_write_fails_loudly(github_api: GitHubStandIn) -> None:
    github_api.workflows["renew.yml"]["state"] = "disabled_inactivity"
    github_api.actions_write = False
    with pytest.raises(GitHubError) as caught:
        keep_enabled(client(github_api), ["renew.yml"])
    assert caught.value.status == 403
