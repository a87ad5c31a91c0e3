"""The runner's own credentials cannot be sent anywhere by a config, nor read after start.

A merged certificates.yaml used to be able to name ACTIONS_ID_TOKEN_REQUEST_TOKEN as an
SMTP password (to a server of its choosing): the job token arrived in the AUTH exchange
of a real aiosmtpd. Now ``validate`` refuses the reference with its location and
nothing is sent. And renewer takes the OIDC request variables out of its environment at
start, so a DNS program, plugin, notifier or child process never finds them, while
sign-in still requests tokens with what it took.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from rig import TlsMaterial
from rig.oidc import GithubOidcIssuer
from rig.smtp import SmtpServer

from tests.conftest import SMTP_PASSWORD, SMTP_USER
from tests.integration.runner import REPO, run_cli

pytestmark = pytest.mark.integration

JOB_TOKEN = "job-request-token-2f9d7c1e"


def _mail_config(tmp_path: Path, smtp: SmtpServer, tls: TlsMaterial, password: str) -> Path:
    body = {
        "acme": {"directory": "https://127.0.0.1:14000/dir"},
        "store": {"type": "directory", "path": str(tmp_path / "certs")},
        "dns": {"type": "challtestsrv", "url": "http://127.0.0.1:8055"},
        "notify": [
            {
                "type": "email",
                "smtp": {
                    "host": "127.0.0.1",
                    "port": smtp.port,
                    "username": "env:SMTP_USER",
                    "password": password,
                    "ca_bundle": str(tls.root),
                },
                "from": "certs@contoso.example",
                "to": ["platform-team@contoso.example"],
            }
        ],
        "certificates": [{"name": "www", "domains": ["www.contoso.example"]}],
    }
    path = tmp_path / "certificates.yaml"
    path.write_text(yaml.safe_dump(body, sort_keys=False))
    return path


def test_the_job_token_cannot_be_sent_as_an_smtp_password(
    tmp_path: Path, smtp_server: SmtpServer, tls_root: TlsMaterial
) -> None:
    env = {
        "SMTP_USER": SMTP_USER,
        "SMTP_PASSWORD": SMTP_PASSWORD,
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": JOB_TOKEN,
        "RENEWER_NOTIFY_BACKOFF": "0.05",
    }
    hostile = _mail_config(tmp_path, smtp_server, tls_root, "env:ACTIONS_ID_TOKEN_REQUEST_TOKEN")
    for command in (["validate"], ["notify", "--test"]):
        result = run_cli(*command, "-c", str(hostile), env=env)
        assert result.code == 2, result.output
        assert f"{hostile}:" in result.stderr and "credential of the runner" in result.stderr
        assert JOB_TOKEN not in result.output
    assert smtp_server.logins == [] and smtp_server.mails == []  # no connection got that far

    # The control: the same target with a secret of its own is delivered (the test can see).
    own = _mail_config(tmp_path, smtp_server, tls_root, "env:SMTP_PASSWORD")
    result = run_cli("notify", "--test", "-c", str(own), env=env)
    assert result.code == 0, result.output
    assert smtp_server.logins == [(SMTP_USER, True)] and len(smtp_server.mails) == 1


PROBE = """
import json, os, subprocess, sys
from renewer.cli.main import main
from renewer.azure import signin
try:
    main(["validate", "-c", sys.argv[1]])
except SystemExit as done:
    code = done.code
child = subprocess.run([sys.executable, "-c", "import os; print(sorted(os.environ))"],
                       capture_output=True, text=True, check=True).stdout
print(json.dumps({
    "code": code,
    "left": sorted(n for n in os.environ if n.startswith("ACTIONS_ID_TOKEN_REQUEST")),
    "child": child,
    "in_oidc": signin.in_github_oidc(),
    "token": signin.github_oidc_token("api://AzureADTokenExchange"),
}))
"""


def test_after_start_the_request_variables_are_gone_but_sign_in_still_works(
    tmp_path: Path, github_oidc: GithubOidcIssuer
) -> None:
    """A renewer process (the CLI entry, then sign-in), in a subprocess of its own."""
    config = tmp_path / "certificates.yaml"
    config.write_text(
        "acme: {directory: letsencrypt}\nstore: {type: directory}\n"
        "dns: {type: challtestsrv, url: 'http://127.0.0.1:8055'}\n"
        "certificates:\n  - {name: www, domains: [www.example.com]}\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "ACTIONS_ID_TOKEN_REQUEST_URL": github_oidc.request_url,
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": github_oidc.request_token,
        "REQUESTS_CA_BUNDLE": str(github_oidc.ca_bundle),
    }
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, str(config)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    assert found["code"] == 0
    assert found["left"] == []  # gone from the process environment
    assert "ACTIONS_ID_TOKEN_REQUEST" not in found["child"]  # and from what it starts
    assert github_oidc.request_token not in proc.stdout.replace(found["token"], "")
    assert found["in_oidc"] is True
    assert [t.value for t in github_oidc.issued] == [found["token"]]  # taken, then used
