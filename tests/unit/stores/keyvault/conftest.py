"""One Key Vault stand-in per test module here (the root conftest's is per test)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from rig import KeyVaultStandIn
from rig.tls import TlsMaterial


@pytest.fixture(scope="module")
def keyvault(tls_root: TlsMaterial) -> Iterator[KeyVaultStandIn]:
    with KeyVaultStandIn(tls_root) as vault:
        yield vault
