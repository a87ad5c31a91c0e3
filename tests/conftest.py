"""Pytest fixtures that start the real-server rig (see tests/rig/).

Servers are per test (function scope) so no state leaks between tests; each
starts in well under a second.  Every fixture stops what it started by PID in
its teardown, which pytest runs even when the test fails.
"""

from __future__ import annotations

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
