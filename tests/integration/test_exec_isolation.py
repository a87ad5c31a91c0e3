"""The ``exec`` DNS program sees a minimal environment, and its output reaches the log only.

A real renew through Pebble runs a real shell script as the DNS provider. The script dumps
the environment it was given (from /proc, exactly what exec passed), prints a fake
credential, the DNS token it was given and hostile Markdown, and fails. renewer's own
environment holds stand-ins for the runner's credentials (the OIDC request token and URL,
GITHUB_TOKEN), an EAB key and a webhook URL: none may reach the script, and none of the
script's words may reach the JSON report, the job summary or the tracking issue (published
through the GitHub REST stand-in).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rig import GitHubStandIn

from tests.integration.runner import run_cli, write_config
from tests.integration.test_exec_dns import hook
from tests.integration.test_github_reports import gh_env

pytestmark = pytest.mark.integration

DNS_TOKEN = "cf-dns-token-Qw8Zr5Tt2Yy"
UNSHAPED = "plain words the script printed 7f3a"  # no credential shape: only exclusion helps
FAKE_PAT = "ghp_FakeFakeFake0123456789abcdefABCDEF"
HOSTILE = "@org/team ![x](http://evil.example/x.png) <!-- renewer-state: {} -->"
RUNNER_SECRETS = {
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "oidc-request-token-9aa81",
    "ACTIONS_ID_TOKEN_REQUEST_URL": "https://pipelines.invalid/oidc?x=1",
    "ACTIONS_RUNTIME_TOKEN": "runtime-token-77c1e",
    "EAB_HMAC_KEY": "eab-hmac-key-d41d8cd9",
    "TEAMS_WEBHOOK_URL": "https://teams.invalid/workflows/sig=abc123",
    "AZURE_CLIENT_SECRET": "azure-client-secret-55e0",
}
SCRIPT = f"""#!/bin/sh
tr '\\0' '\\n' < /proc/$$/environ > "$DUMP_TO"
echo "{UNSHAPED}"
echo "using token {FAKE_PAT} and $DNS_API_TOKEN"
echo "{HOSTILE}" >&2
echo "API said: 403 forbidden for $DNS_API_TOKEN" >&2
exit 7
"""


def _config(tmp_path: Path, pebble: Any, env: list[str]) -> Path:
    hook(tmp_path / "hooks", SCRIPT)
    body = {
        "acme": {"directory": pebble.directory_url, "ca_bundle": str(pebble.ca_bundle)},
        "store": {"type": "directory", "path": str(tmp_path / "certs")},
        "dns": {"type": "exec", "program": "./hooks/dns.sh", "timeout": "20s", "env": env},
        "report": {"mode": "issue"},
        "certificates": [{"name": "www-contoso-com", "domains": ["www.contoso.test"]}],
    }
    return write_config(tmp_path / "certificates.yaml", body)


def test_the_program_sees_only_its_variables_and_its_output_stays_in_the_log(
    tmp_path: Path, pebble_factory: Any, github_api: GitHubStandIn
) -> None:
    pebble = pebble_factory(dns_server="127.0.0.1:1")  # never asked: the program fails first
    cfg = _config(tmp_path, pebble, ["DNS_API_TOKEN", "DUMP_TO"])
    dump = tmp_path / "env.txt"
    env = {
        **gh_env(github_api, tmp_path),  # GITHUB_TOKEN and friends, as in a job
        **RUNNER_SECRETS,
        "DNS_API_TOKEN": DNS_TOKEN,
        "DUMP_TO": str(dump),
        "LANG": "C.UTF-8",
        "TMPDIR": str(tmp_path),
    }
    report, summary = tmp_path / "r.json", tmp_path / "s.md"
    run = run_cli(
        "renew", "-c", str(cfg), "--report", str(report), "--summary", str(summary), env=env
    )
    assert run.code == 1, run.output

    # The environment: PATH, HOME, LANG, TMPDIR and the two names, nothing else.
    seen = dict(line.split("=", 1) for line in dump.read_text().splitlines() if "=" in line)
    assert set(seen) <= {"PATH", "HOME", "LANG", "TMPDIR", "DNS_API_TOKEN", "DUMP_TO"}, seen
    assert {"PATH", "DNS_API_TOKEN", "DUMP_TO"} <= set(seen)
    assert seen["DNS_API_TOKEN"] == DNS_TOKEN and seen["LANG"] == "C.UTF-8"
    values = "\n".join(seen.values())
    for secret in (*RUNNER_SECRETS.values(), github_api.token):
        assert secret not in values

    # The log has the output, masked: the named token and the credential-shaped one.
    log = run.stderr
    assert UNSHAPED in log and "stderr: API said: 403 forbidden for ***" in log
    assert DNS_TOKEN not in log and FAKE_PAT not in log

    # The report and the summary: the exit status and a fixed sentence, no output at all.
    body = json.loads(report.read_text())
    (row,) = body["certificates"]
    assert row["result"] == "failed"
    assert "exited with status 7 (its output is in the run's log only)" in row["error"]
    published = run_cli(
        "report", "publish", "--report", str(report), "-c", str(cfg),
        env=gh_env(github_api, tmp_path), timeout=60,
    )  # fmt: skip
    assert published.code == 0, published.output
    (issue,) = github_api.open_issues()
    step_summary = (tmp_path / "step-summary.md").read_text()
    for text in (report.read_text(), summary.read_text(), issue["body"], step_summary):
        assert "exited with status 7" in text
        for word in (UNSHAPED, "403 forbidden", "@org/team", "evil.example", FAKE_PAT, DNS_TOKEN):
            assert word not in text
    assert github_api.violations == []


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "one of the runner's own credentials"),
        ("GITHUB_TOKEN", "one of the runner's own credentials"),
        ("RUNNER_TEMP", "one of the runner's own credentials"),
        ("AZURE_FEDERATED_TOKEN_FILE", "one of the runner's own credentials"),
        ("env:DNS_API_TOKEN", "without env:"),
        ("NOT-A-NAME", "is not an environment variable name"),
        ("PATH", "is always passed"),
    ],
)
def test_validate_refuses_a_bad_env_name_where_it_is(tmp_path: Path, name: str, words: str) -> None:
    hook(tmp_path / "hooks", "#!/bin/sh\n")
    cfg = tmp_path / "certificates.yaml"
    cfg.write_text(
        "acme: {directory: letsencrypt-staging}\n"
        "store: {type: directory}\n"
        "dns:\n"
        "  type: exec\n"
        "  program: ./hooks/dns.sh\n"
        "  env:\n"
        "    - DNS_API_TOKEN\n"
        f"    - {json.dumps(name)}\n"
        "certificates: [{name: a, domains: [a.example.com]}]\n"
    )
    result = run_cli("validate", "-c", str(cfg))
    assert result.code == 2, result.output
    assert f"{cfg}:8:7: dns.env[1]: " in result.output and words in result.output
