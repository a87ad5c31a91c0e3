"""Pytest fixtures that start the real-server rig (see tests/rig/).

Servers are per test (function scope) so no state leaks between tests; each
starts in well under a second.  Every fixture stops what it started by PID in
its teardown, which pytest runs even when the test fails.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

# tests/ has no __init__.py; make ``import rig`` work however pytest was invoked.
_TESTS_DIR = str(Path(__file__).resolve().parent)
if _TESTS_DIR not in sys.path:
    sys.path.insert(0, _TESTS_DIR)

from rig import (  # noqa: E402
    Bind,
    Challtestsrv,
    Pebble,
    PebbleProfile,
    Resolver,
    TlsMaterial,
    free_port,
    make_tls_material,
)

__all__ = ["free_port"]

# The suite runs inside GitHub Actions jobs too (ci.yml), whose runner sets variables
# renewer reads on purpose: GITHUB_ACTIONS turns errors into annotations, GITHUB_RUN_ID
# names lease owners, AZURE_* and ACTIONS_ID_TOKEN_* choose the sign-in, RENEWER_* pick
# the config and log level. A test that wants one sets it itself; none may inherit the
# job's, or its outcome depends on where it runs. Removed before any test or server
# starts, so every subprocess a test spawns from os.environ sees the clean view too.
_RUNNER_PREFIXES = ("GITHUB_", "RUNNER_", "ACTIONS_", "AZURE_", "RENEWER_", "ARM_", "INPUT_")


def _clear_runner_environment() -> None:
    for name in [n for n in os.environ if n.startswith(_RUNNER_PREFIXES) or n == "CI"]:
        del os.environ[name]


_clear_runner_environment()


def _logging_now() -> dict[str, int]:
    import logging

    levels = {"": logging.getLogger().level}
    for name, logger in logging.root.manager.loggerDict.items():
        if isinstance(logger, logging.Logger):
            levels[name] = logger.level
    return levels


_LOGGING_AT_START = _logging_now()


@pytest.fixture(autouse=True)
def _logging_as_it_was() -> Iterator[None]:
    """Undo what an in-process CLI run did to logging (renewer's setup_logging sets levels
    on the root, acme, urllib3 and azure loggers): a later test that scans DEBUG logs for
    secrets must see every logger, whatever ran before it."""
    import logging

    handlers = list(logging.getLogger().handlers)
    yield
    # Back to how the session began: a logger made since (by a module fixture or a test
    # that ran the CLI) goes back to NOTSET, inheriting from the root again.
    logging.getLogger().setLevel(_LOGGING_AT_START[""])
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger):
            logger.setLevel(_LOGGING_AT_START.get(name, logging.NOTSET))
    logging.getLogger().handlers[:] = handlers


PebbleFactory = Callable[..., Pebble]


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker so ``-m integration`` / ``-m 'not integration'`` work."""
    config.addinivalue_line(
        "markers", "integration: starts real servers (Pebble, BIND, challtestsrv)"
    )


@pytest.fixture(scope="session")
def tls_root(tmp_path_factory: pytest.TempPathFactory) -> TlsMaterial:
    """Per-run TLS root + localhost cert for Pebble; ``.root`` is the CA bundle."""
    return make_tls_material(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def challtestsrv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Challtestsrv]:
    """A running pebble-challtestsrv (DNS + management API only)."""
    with Challtestsrv(tmp_path_factory.mktemp("challtestsrv")) as server:
        yield server


@pytest.fixture
def bind(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bind]:
    """A running BIND with the default zones example.test. and delegated.test."""
    with Bind(tmp_path_factory.mktemp("bind")) as server:
        yield server


@pytest.fixture
def resolver(bind: Bind, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Resolver]:
    """A recursive, non-caching named forwarding to ``bind``; give it to Pebble
    (``dns_server=resolver.dns_address``) when a test relies on CNAME delegation."""
    with Resolver(tmp_path_factory.mktemp("resolver"), upstream=bind) as server:
        yield server


@pytest.fixture
def pebble_factory(
    tmp_path_factory: pytest.TempPathFactory, tls_root: TlsMaterial
) -> Iterator[PebbleFactory]:
    """Start Pebbles on demand; all are stopped at teardown.

    Call as ``pebble_factory(dns_server=bind.dns_address, eab_keys={...},
    validity_period=..., profiles={...}, nonce_reject=..., **other Pebble kwargs)``.
    """
    started: list[Pebble] = []

    def make(
        *,
        dns_server: str,
        eab_keys: Mapping[str, str] | None = None,
        validity_period: int | None = None,
        profiles: Mapping[str, PebbleProfile] | None = None,
        nonce_reject: int = 0,
        **kwargs: Any,
    ) -> Pebble:
        pebble = Pebble(
            tmp_path_factory.mktemp("pebble"),
            tls_root,
            dns_server=dns_server,
            eab_keys=eab_keys,
            validity_period=validity_period,
            profiles=profiles,
            nonce_reject=nonce_reject,
            **kwargs,
        )
        started.append(pebble)
        return pebble.start()

    try:
        yield make
    finally:
        for pebble in started:
            pebble.stop()


from rig import ArmDns  # noqa: E402

ArmDnsFactory = Callable[..., ArmDns]


@pytest.fixture
def arm_dns_factory(tls_root: TlsMaterial) -> Iterator[ArmDnsFactory]:
    """Start Azure DNS stand-ins (tests/rig/arm.py) on demand.

    Call as ``arm_dns_factory(bind=..., subscriptions={sub: {rg: [zones]}},
    read_only=[sub], page_size=...)``; each serves HTTPS with ``tls_root`` and
    publishes TXT changes to ``bind``.  All are stopped (thread joined) at teardown.
    """
    started: list[ArmDns] = []

    def make(**kwargs: Any) -> ArmDns:
        arm = ArmDns(tls_root, **kwargs)
        started.append(arm)
        return arm.start()

    try:
        yield make
    finally:
        for arm in started:
            arm.stop()


@pytest.fixture
def arm_dns(bind: Bind, arm_dns_factory: ArmDnsFactory) -> ArmDns:
    """An Azure DNS stand-in: subscription rig.SUBSCRIPTION, resource group 'dns',
    zone example.test, publishing into ``bind``."""
    return arm_dns_factory(bind=bind)


# --- GitHub OIDC -> Entra sign-in stand-ins (tests/rig/oidc.py, entra.py) ----

from rig import EntraTokenService, FederatedCredential, GithubOidcIssuer  # noqa: E402


@pytest.fixture
def github_oidc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GithubOidcIssuer]:
    """A GitHub-shaped OIDC issuer on https://127.0.0.1:<port>.

    It has its own TLS root (``.ca_bundle``), separate from ``tls_root``, so a
    test can tell which trust store each client actually used.
    """
    tls = make_tls_material(tmp_path_factory.mktemp("github-oidc-tls"))
    with GithubOidcIssuer(tls) as issuer:
        yield issuer


@pytest.fixture
def entra(tls_root: TlsMaterial, github_oidc: GithubOidcIssuer) -> Iterator[EntraTokenService]:
    """An Entra-shaped token service (TLS from ``tls_root``) trusting ``github_oidc``.

    One app is registered (``entra.client_id``) with one federated credential
    for the issuer's default subject and audience api://AzureADTokenExchange.
    """
    service = EntraTokenService(tls_root, trust=github_oidc.ca_bundle)
    service.add_app(
        service.client_id,
        FederatedCredential(issuer=github_oidc.issuer, subject=github_oidc.subject),
    )
    with service:
        yield service


from rig import KeyVaultStandIn  # noqa: E402


@pytest.fixture
def keyvault(tls_root: TlsMaterial) -> Iterator[KeyVaultStandIn]:
    """A Key Vault REST stand-in on 127.0.0.1 (HTTPS with ``tls_root``, challenge auth).

    Drive it with the real SDK: ``CertificateClient(keyvault.url, keyvault.credential(),
    verify_challenge_resource=False, connection_verify=str(keyvault.ca_bundle))``.
    """
    with KeyVaultStandIn(tls_root) as vault:
        yield vault


# --- GitHub REST stand-in (tests/rig/github_api.py) -------------------------

from rig import GitHubStandIn  # noqa: E402


@pytest.fixture
def github_api() -> Iterator[GitHubStandIn]:
    """A GitHub REST stand-in on http://127.0.0.1:<port> for repository
    ``github_api.repository`` with token ``github_api.token``; stopped at teardown."""
    with GitHubStandIn() as server:
        yield server


# --- notification receivers (tests/rig/notify_sink.py, tests/rig/smtp.py) ---

from rig.notify_sink import NotifySink  # noqa: E402
from rig.smtp import SmtpServer  # noqa: E402

SMTP_USER = "renewer-mailer"
SMTP_PASSWORD = "smtp-pass-Zq81vXw3"


@pytest.fixture
def notify_sink() -> Iterator[NotifySink]:
    """A real HTTP server on 127.0.0.1 recording webhook posts (Teams, Slack, generic)."""
    with NotifySink() as sink:
        yield sink


@pytest.fixture
def smtp_server(tls_root: TlsMaterial) -> Iterator[SmtpServer]:
    """A real aiosmtpd server requiring STARTTLS (``tls_root``) and AUTH
    (user SMTP_USER, password SMTP_PASSWORD)."""
    with SmtpServer(tls_root, SMTP_USER, SMTP_PASSWORD) as server:
        yield server


# --- resilience scenarios (tests/resilience/) --------------------------------

_configure_before_resilience = pytest_configure


def pytest_configure(config: pytest.Config) -> None:
    """Also register ``resilience``: fault-injection scenarios, run by default in CI."""
    _configure_before_resilience(config)
    config.addinivalue_line(
        "markers", "resilience: fault injection against the real rig (tests/resilience/)"
    )


from rig import FaultProxy  # noqa: E402


@pytest.fixture
def fault_proxy_factory(tls_root: TlsMaterial) -> Iterator[Callable[[Pebble], FaultProxy]]:
    """Start HTTPS fault proxies in front of a Pebble (tests/rig/faultproxy.py)."""
    started: list[FaultProxy] = []

    def make(pebble: Pebble) -> FaultProxy:
        proxy = FaultProxy(tls_root, pebble)
        started.append(proxy)
        return proxy.start()

    try:
        yield make
    finally:
        for proxy in started:
            proxy.stop()


# --- `make unit` (-m "not integration") leaves out every test that starts a server --------
SERVER_FIXTURES = frozenset(
    {
        "challtestsrv",
        "bind",
        "resolver",
        "pebble_factory",
        "arm_dns_factory",
        "arm_dns",
        "github_oidc",
        "entra",
        "keyvault",
        "github_api",
        "fault_proxy_factory",
        "powerdns",
        "notify_sink",
        "smtp_server",
        "stepca_factory",
        "acme_ca",
    }
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark a test ``integration`` when it asks for a server, wherever it lives."""
    for item in items:
        if SERVER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)


# --- PowerDNS Authoritative (tests/rig/powerdns.py) -------------------------

from rig import PowerDns  # noqa: E402


@pytest.fixture
def powerdns(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PowerDns]:
    """A running pdns_server (gsqlite3) serving example.test., API key ``.api_key``."""
    with PowerDns(tmp_path_factory.mktemp("pdns")) as server:
        yield server


# --- step-ca, the second real ACME server (tests/rig/stepca.py) --------------

from rig import StepCa  # noqa: E402

StepCaFactory = Callable[..., StepCa]


@pytest.fixture
def stepca_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StepCaFactory]:
    """Start step-cas on demand; all are stopped by PID at teardown.

    Call as ``stepca_factory(resolver=bind.dns_address, cert_duration="1h",
    require_eab=False)``.
    """
    started: list[StepCa] = []

    def make(**kwargs: Any) -> StepCa:
        ca = StepCa(tmp_path_factory.mktemp("stepca"), **kwargs)
        started.append(ca)
        return ca.start()

    try:
        yield make
    finally:
        for ca in started:
            ca.stop()


AcmeCa = Pebble | StepCa
AcmeCaFactory = Callable[[str], AcmeCa]


@pytest.fixture(params=["pebble", "stepca"])
def acme_ca(
    request: pytest.FixtureRequest,
    pebble_factory: PebbleFactory,
    stepca_factory: StepCaFactory,
) -> AcmeCaFactory:
    """The core issuance suite runs against both real CAs: call with the DNS server
    (``host:port``) the CA validates against; returns a started Pebble or step-ca."""
    kind: str = request.param

    def make(dns_server: str) -> AcmeCa:
        if kind == "pebble":
            return pebble_factory(dns_server=dns_server)
        return stepca_factory(resolver=dns_server)

    return make
