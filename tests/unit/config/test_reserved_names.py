"""Certificate names cannot take the prefixes of renewer's own vault objects.

Key Vault certificates and secrets share one namespace: a certificate called
``renewer-lock-api`` would be the lease secret of certificate ``api``, and the lease
would read that certificate's private key. ``validate`` refuses such a name with its
line and column, in any case, and the store modules use the very prefixes refused.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from renewer.config.domains import RESERVED_PREFIXES
from renewer.config.loader import ConfigError, load_config
from renewer.stores.keyvault import account, lease

CONFIG = """\
acme: {{directory: letsencrypt}}
store: {{type: directory}}
dns: {{type: challtestsrv, url: "http://127.0.0.1:8055"}}
certificates:
  - name: api
    domains: [api.example.com]
  - name: {name}
    domains: [www.example.com]
{extra}"""


def _issues(tmp_path: Path, name: str, extra: str = "") -> list[str]:
    path = tmp_path / "certificates.yaml"
    path.write_text(CONFIG.format(name=name, extra=extra))
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    return [str(issue) for issue in caught.value.issues]


@pytest.mark.parametrize(
    "name",
    [
        "renewer-lock-api",
        "renewer-acme-account-0123456789abcdef",
        "Renewer-Lock-api",  # Key Vault ignores case
        "RENEWER-ACME-ACCOUNT-x",
    ],
)
def test_a_reserved_prefix_is_a_located_error(tmp_path: Path, name: str) -> None:
    (issue,) = _issues(tmp_path, name)
    assert issue.startswith(f"{tmp_path / 'certificates.yaml'}:7:11: certificates[1].name:")
    assert "reserves for its own vault secrets" in issue


def test_previous_name_is_held_to_the_same_rule(tmp_path: Path) -> None:
    (issue,) = _issues(tmp_path, "www", "    previous_name: renewer-lock-api\n")
    assert ":9:20: certificates[1].previous_name:" in issue
    assert "reserves" in issue


def test_names_that_only_look_alike_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "certificates.yaml"
    path.write_text(CONFIG.format(name="renewer-locks", extra=""))
    names = [spec.name for spec in load_config(path, environ={}).certificates]
    assert names == ["api", "renewer-locks"]


def test_the_stores_prefixes_are_the_reserved_ones() -> None:
    """A new vault object kind must add its prefix to RESERVED_PREFIXES, or this fails."""
    assert lease.lock_secret_name("api").startswith(RESERVED_PREFIXES)
    assert lease.lock_secret_name("x" * 127).startswith(RESERVED_PREFIXES)  # hashed form
    name = account.account_secret_name("https://acme-v02.api.letsencrypt.org/directory")
    assert name.startswith(RESERVED_PREFIXES)
