"""https only for every URL a credential travels to; loopback is the one exception.

The rule is one field (``convert.CREDENTIAL_URL``) that each such key declares; this
test walks every field table to find them, so a provider that declares a URL key
without it, or a new one, is caught here rather than by review.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from renewer.config.convert import CREDENTIAL_URL
from renewer.config.domains import check_credential_url, safe_for_credentials
from renewer.config.fields import SECTIONS
from renewer.config.loader import ConfigError, load_config
from renewer.core.settings import SecretRef
from renewer.notify.contract import DeliveryError
from renewer.notify.links import resolve_url

# every key that sends a credential to the URL it holds: (section, key)
CREDENTIAL_KEYS = {
    ("dns.cloudflare", "base_url"),  # the API token
    ("dns.google", "endpoint"),  # an OAuth bearer token
    ("dns.powerdns", "api_url"),  # X-API-Key
    ("dns.acme-dns", "api_url"),  # X-Api-User / X-Api-Key
    ("dns.route53", "endpoint_url"),  # SigV4 with the access key id (and session token)
}

DNS = {
    "cloudflare": "  type: cloudflare\n  api_token: env:TOKEN\n  base_url: {url}\n",
    "google": "  type: google\n  project: p\n  endpoint: {url}\n",
    "powerdns": "  type: powerdns\n  api_key: env:TOKEN\n  api_url: {url}\n",
    "acme-dns": (
        "  type: acme-dns\n  username: env:TOKEN\n  password: env:TOKEN\n  subdomain: s\n"
        "  fulldomain: s.auth.example.org\n  api_url: {url}\n"
    ),
    "route53": "  type: route53\n  endpoint_url: {url}\n",
}
CONFIG = """\
acme: {{directory: letsencrypt}}
store: {{type: directory}}
dns:
{dns}certificates:
  - {{name: www, domains: [www.example.com]}}
{notify}"""


def test_each_credential_key_declares_the_field() -> None:
    declared = {
        (section, key)
        for section, table in SECTIONS.items()
        for key, field in table.items()
        if field.convert is CREDENTIAL_URL.convert
    }
    assert declared == CREDENTIAL_KEYS


@pytest.mark.parametrize("kind", sorted(DNS))
@pytest.mark.parametrize(
    "url", ["http://api.example.com", "http://10.0.0.7:8081", "http://[2001:db8::1]:80"]
)
def test_plain_http_to_another_host_is_a_located_error(tmp_path: Path, kind: str, url: str) -> None:
    path = tmp_path / "certificates.yaml"
    path.write_text(CONFIG.format(dns=DNS[kind].format(url=url), notify=""))
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={"TOKEN": "t"})
    (issue,) = [str(i) for i in caught.value.issues]
    line = 3 + DNS[kind].count("\n")  # the URL is the section's last line
    assert issue.startswith(f"{path}:{line}:")
    assert "uses plain http://, but a credential is sent to it" in issue


@pytest.mark.parametrize("kind", sorted(DNS))
@pytest.mark.parametrize(
    "url",
    [
        "https://api.example.com",
        "http://127.0.0.1:8081",
        "http://127.9.8.7:8081",
        "http://[::1]:8081",
        "http://localhost:8081",
    ],
)
def test_https_and_loopback_load(tmp_path: Path, kind: str, url: str) -> None:
    path = tmp_path / "certificates.yaml"
    path.write_text(CONFIG.format(dns=DNS[kind].format(url=url), notify=""))
    assert load_config(path, environ={"TOKEN": "t"}).certificates


WEBHOOKS = {
    "literal": "  - {type: webhook, url: 'http://hooks.example.com/x'}\n",
    "teams": "  - {type: teams, url: env:HOOK_URL}\n",
    "slack": "  - {type: slack, url: env:HOOK_URL}\n",
    "webhook": "  - {type: webhook, url: env:HOOK_URL}\n",
}


@pytest.mark.parametrize("kind", sorted(WEBHOOKS))
def test_a_plain_http_webhook_is_a_located_error(tmp_path: Path, kind: str) -> None:
    dns = "  type: challtestsrv\n  url: http://127.0.0.1:8055\n"
    path = tmp_path / "certificates.yaml"
    path.write_text(CONFIG.format(dns=dns, notify="notify:\n" + WEBHOOKS[kind]))
    secret_url = "http://chat.example.com/hook?sig=s3cr3t"
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={"HOOK_URL": secret_url})
    (issue,) = [str(i) for i in caught.value.issues]
    assert issue.startswith(f"{path}:9:")
    assert "https://" in issue
    assert "s3cr3t" not in issue  # a Teams or Slack URL is a credential


def test_a_variable_set_only_at_send_time_is_checked_then(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """validate could not see it (not set there); the sender refuses it and says so."""
    target = SecretRef("HOOK_URL")  # a teams target's url
    monkeypatch.setenv("HOOK_URL", "http://chat.example.com/hook?sig=s3cr3t")
    with pytest.raises(DeliveryError) as caught:
        resolve_url(target)
    assert "not an https:// URL" in str(caught.value) and "s3cr3t" not in str(caught.value)
    monkeypatch.setenv("HOOK_URL", "https://chat.example.com/hook?sig=s3cr3t")
    assert resolve_url(target) == "https://chat.example.com/hook?sig=s3cr3t"


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://x.example", True),
        ("HTTPS://X.EXAMPLE/path?q=1", True),
        ("http://127.0.0.1", True),
        ("http://127.255.255.254:1", True),
        ("http://[::1]/", True),
        ("http://localhost", True),
        ("http://LOCALHOST.", True),
        ("http://localhost.example.com", False),
        ("http://127.0.0.1.nip.io", False),
        ("http://[::ffff:10.0.0.1]", False),
        ("http://0.0.0.0", False),
        ("ftp://x.example", False),
        ("https://", False),
        ("http://[::1", False),
    ],
)
def test_what_counts_as_safe(url: str, safe: bool) -> None:
    assert safe_for_credentials(url) is safe
    if not safe:
        with pytest.raises(ValueError):
            check_credential_url(url)
