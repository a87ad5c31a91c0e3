"""Each added DNS type's settings: built typed from YAML, or FILE:LINE:COL issues at validate.

No network: these only load certificates.yaml (renewer/config/types/dns_*.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from renewer.config.loader import ConfigError, load_config
from renewer.config.types.dns_acmedns import AcmeDnsSettings
from renewer.config.types.dns_cloudflare import CloudflareSettings
from renewer.config.types.dns_exec import ExecSettings
from renewer.config.types.dns_google import GoogleDnsSettings
from renewer.config.types.dns_powerdns import PowerDnsSettings
from renewer.config.types.dns_route53 import Route53Settings
from renewer.core.settings import SecretRef

ENV = {"KEY": "secret-value", "USER": "u"}
HEAD = "acme: {directory: letsencrypt-staging}\nstore: {type: directory}\ndns:\n"
TAIL = "certificates: [{name: a, domains: [a.example.com]}]\n"


def load(tmp_path: Path, dns_lines: str) -> Any:
    path = tmp_path / "certificates.yaml"
    path.write_text(HEAD + dns_lines + TAIL)
    return load_config(path, ENV).certificates[0].dns


def issues(tmp_path: Path, dns_lines: str) -> list[str]:
    path = tmp_path / "certificates.yaml"
    path.write_text(HEAD + dns_lines + TAIL)
    with pytest.raises(ConfigError) as failed:
        load_config(path, ENV)
    return [f"{i.line}:{i.column}: {i.message}" for i in failed.value.issues]


def test_each_type_builds_its_typed_settings(tmp_path: Path) -> None:
    hook = tmp_path / "hooks" / "dns.sh"
    hook.parent.mkdir()
    hook.write_text("#!/bin/sh\n")
    hook.chmod(0o755)
    cases: list[tuple[str, Any]] = [
        (
            "  type: powerdns\n  api_url: https://pdns:8081/\n  api_key: env:KEY\n",
            PowerDnsSettings("https://pdns:8081", SecretRef("KEY")),
        ),
        (
            "  type: route53\n  hosted_zone_id: /hostedzone/Z123ABC\n  insync_timeout: 30s\n",
            Route53Settings("Z123ABC", insync_timeout=30.0),
        ),
        ("  type: exec\n  program: ./hooks/dns.sh\n", ExecSettings(hook, 60.0)),
        (
            "  type: cloudflare\n  api_token: env:KEY\n  zone: Example.COM\n",
            CloudflareSettings(SecretRef("KEY"), "example.com"),
        ),
        (
            "  type: google\n  project: p1\n",
            GoogleDnsSettings("p1"),
        ),
        (
            "  type: acme-dns\n  api_url: https://auth.example.org\n  username: env:USER\n"
            "  password: env:KEY\n  subdomain: s1\n  fulldomain: s1.auth.example.org\n",
            AcmeDnsSettings(
                "https://auth.example.org",
                SecretRef("USER"),
                SecretRef("KEY"),
                "s1",
                "s1.auth.example.org",
            ),
        ),
    ]
    for lines, expected in cases:
        assert load(tmp_path, lines).provider == expected, lines


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ("  type: powerdns\n  api_key: env:KEY\n", "4:3: dns: missing required key 'api_url'"),
        (
            "  type: powerdns\n  api_url: https://p\n  api_key: literal\n",
            "6:12: dns.api_key: must be an env:NAME reference, not a literal secret",
        ),
        ("  type: route53\n  hosted_zone_id: 'Z/../x y'\n", "5:19: dns.hosted_zone_id: "),
        ("  type: exec\n  program: ./nope.sh\n", "5:12: dns.program: file "),
        ("  type: cloudflare\n", "4:3: dns: missing required key 'api_token'"),
        (
            "  type: cloudflare\n  api_token: env:UNSET_TOKEN\n",
            "5:14: dns.api_token: environment variable UNSET_TOKEN is not set",
        ),
        ("  type: google\n", "4:3: dns: missing required key 'project'"),
        ("  type: acme-dns\n  api_url: https://a\n", "missing required key 'username'"),
        (
            "  type: powerdns\n  api_url: https://p\n  api_key: env:KEY\n  token: x\n",
            "7:3: dns: unknown key 'token' (allowed: type, propagation, api_url, api_key",
        ),
        ("  type: route56\n", "4:9: dns.type: unknown DNS type 'route56'; did you mean 'route53'?"),
    ],
)
def test_bad_settings_are_located(tmp_path: Path, lines: str, expected: str) -> None:
    found = issues(tmp_path, lines)
    assert any(expected in issue for issue in found), found


def test_azure_manage_caa_is_a_boolean_of_the_azure_type_only(tmp_path: Path) -> None:
    azure = "  type: azure\n  subscription_id: 00000000-0000-0000-0000-000000000000\n"
    azure += "  resource_group: dns\n"
    assert load(tmp_path, azure).provider.manage_caa is False
    assert load(tmp_path, azure + "  manage_caa: true\n").provider.manage_caa is True
    (wrong,) = issues(tmp_path, azure + "  manage_caa: sometimes\n")
    assert wrong.startswith("7:15: ") and "manage_caa" in wrong and "boolean" in wrong
    (elsewhere,) = issues(tmp_path, "  type: google\n  project: p1\n  manage_caa: true\n")
    assert "manage_caa" in elsewhere and "azure" in elsewhere


def test_manage_caa_leaves_the_journal_identity_of_an_azure_setting_alone(tmp_path: Path) -> None:
    """Older runs' journal entries name the setting by it: a new key must not change it."""
    from dataclasses import replace

    from renewer.dns.journal import dns_identity

    azure = "  type: azure\n  subscription_id: 00000000-0000-0000-0000-000000000000\n"
    settings = load(tmp_path, azure + "  resource_group: dns\n")
    managed = replace(settings, provider=replace(settings.provider, manage_caa=True))
    assert dns_identity(managed) == dns_identity(settings)
