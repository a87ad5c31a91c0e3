"""``env:NAME`` references cannot name the runner's own credentials.

A merged config chooses where a secret goes (an SMTP server, a webhook, a DNS API);
naming ACTIONS_ID_TOKEN_REQUEST_TOKEN there would mint tokens for the production
identity on that host. Every section that takes ``env:`` (acme.eab, DNS providers,
plugins, notify targets) goes through one parser, so every one refuses them, with
FILE:LINE:COL, whether or not the variable is set.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from renewer.config.convert import env_reference, runner_credential
from renewer.config.loader import ConfigError, load_config

RUNNER_VARIABLES = [
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_RUNTIME_TOKEN",
    "GITHUB_TOKEN",
    "github_token",  # Windows runners ignore case
    "GITHUB_ENV",
    "RUNNER_TEMP",
    "AZURE_FEDERATED_TOKEN",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PASSWORD",
    "IDENTITY_HEADER",
    "MSI_SECRET",
    "GH_TOKEN",
]

BASE = """\
acme:
  directory: letsencrypt
{acme}store: {{type: directory}}
dns:
{dns}certificates:
  - name: www
    domains: [www.example.com]
{notify}"""

PLACES = {
    # where the reference sits -> (the YAML pieces, line:col of the value)
    "acme.eab.kid": (
        {"acme": "  eab: {{kid: env:{var}, hmac_key: env:EAB_HMAC}}\n"},
        "3:14",
    ),
    "dns.tsig.secret": (
        {
            "dns": "  type: rfc2136\n  nameserver: 127.0.0.1:53\n"
            "  tsig: {{name: k, secret: env:{var}}}\n"
        },
        "7:27",
    ),
    "dns.api_token": (
        {"dns": "  type: cloudflare\n  api_token: env:{var}\n"},
        "6:14",
    ),
    "notify.smtp.password": (
        {
            "dns": "  type: challtestsrv\n  url: http://127.0.0.1:8055\n",
            "notify": "notify:\n  - type: email\n    from: a@example.com\n    to: [b@example.com]\n"
            "    smtp: {{host: 127.0.0.1, password: env:{var}}}\n",
        },
        "14:39",
    ),
    "notify.url": (
        {
            "dns": "  type: challtestsrv\n  url: http://127.0.0.1:8055\n",
            "notify": "notify:\n  - {{type: webhook, url: env:{var}}}\n",
        },
        "11:26",
    ),
}


def _write(tmp_path: Path, place: str, var: str) -> Path:
    pieces, _ = PLACES[place]
    parts = {key: "" for key in ("acme", "dns", "notify")}
    parts.update({key: text.format(var=var) for key, text in pieces.items()})
    if not parts["dns"]:
        parts["dns"] = "  type: challtestsrv\n  url: http://127.0.0.1:8055\n"
    path = tmp_path / "certificates.yaml"
    path.write_text(BASE.format(**parts))
    return path


@pytest.mark.parametrize("place", sorted(PLACES))
@pytest.mark.parametrize("var", ["ACTIONS_ID_TOKEN_REQUEST_TOKEN", "GITHUB_TOKEN"])
def test_every_section_refuses_the_runners_credentials(
    tmp_path: Path, place: str, var: str
) -> None:
    path = _write(tmp_path, place, var)
    environ = {var: "job-token-value", "EAB_HMAC": "aG1hYw"}  # set: still refused
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ=environ)
    messages = [str(issue) for issue in caught.value.issues]
    located = [m for m in messages if "credential of the runner" in m]
    assert located, messages
    assert located[0].startswith(f"{path}:{PLACES[place][1]}:"), located
    assert "job-token-value" not in "\n".join(messages)


@pytest.mark.parametrize("place", sorted(PLACES))
def test_a_name_of_ones_own_still_works(tmp_path: Path, place: str) -> None:
    """The control: the same files with an ordinary name load."""
    path = _write(tmp_path, place, "MY_SECRET")
    value = "https://hooks.example.com/x" if place == "notify.url" else "aG1hYw=="
    environ = {"MY_SECRET": value, "EAB_HMAC": "aG1hYw"}
    assert load_config(path, environ=environ).certificates


@pytest.mark.parametrize("name", RUNNER_VARIABLES)
def test_the_runners_variables_are_refused(name: str) -> None:
    assert runner_credential(name)
    with pytest.raises(ValueError, match="credential of the runner"):
        env_reference(f"env:{name}")


@pytest.mark.parametrize("name", ["SMTP_PASSWORD", "CF_API_TOKEN", "EAB_HMAC", "MY_GITHUB"])
def test_ordinary_names_pass(name: str) -> None:
    assert env_reference(f" env:{name} ") == name
