"""verify against the Key Vault store: versions listed through the real SDK.

Pebble issues into the Key Vault REST stand-in twice; a Python TLS server
serves the first version with the key and chain read back from the linked
secret, as the Key Vault VM extension would have installed it. The store's
version listing (``GET /certificates/{name}/versions``, x5t thumbprints and
the serial tag) is what the served leaf is matched against.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from rig import TlsServer

from renewer.app import make_plan
from renewer.core.endpoints import EndpointSpec
from renewer.core.models import Outcome
from renewer.execute.executor import Executor
from renewer.execute.services import Services
from renewer.verify.model import Verdict
from renewer.verify.probe import ProbeSettings
from renewer.verify.run import verify
from tests.integration.test_keyvault_store import (  # noqa: F401 - fixtures
    Rig,
    linked_secret,
    quick_lease,
    rig,
)

pytestmark = pytest.mark.integration
PEM = serialization.Encoding.PEM


def export(vault: Rig, name: str, folder: Path) -> tuple[Path, Path, str]:
    """The current version's fullchain and key files, from the linked secret; and its x5t."""
    key, chain, _type = linked_secret(vault, name)
    fullchain, keyfile = folder / "fullchain.pem", folder / "key.pem"
    folder.mkdir()
    fullchain.write_bytes(b"".join(c.public_bytes(PEM) for c in chain))
    keyfile.write_bytes(
        key.private_bytes(PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    sha1 = hashlib.sha1(chain[0].public_bytes(serialization.Encoding.DER)).hexdigest()  # noqa: S324
    return fullchain, keyfile, sha1


def test_versions_from_the_vault_judge_a_stale_consumer(
    rig: Rig,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
) -> None:
    spec = rig.spec("kv-www")
    services = Services()
    for force, folder in ((False, "v1"), (True, "v2")):
        plan, _state = make_plan([spec], services, force=force)
        (result,) = Executor(services, concurrency=1).execute(plan)
        assert result.outcome is Outcome.SUCCEEDED, result.error
        exported = export(rig, spec.name, tmp_path / folder)
        if folder == "v1":
            old_chain, old_key, old_sha1 = exported
        else:
            new_sha1 = exported[2]
    versions = rig.store().versions(spec.name)
    assert [v.sha1 for v in versions] == [new_sha1, old_sha1]  # newest first
    assert [v.current for v in versions] == [True, False]
    assert all(v.serial for v in versions)  # from the renewer-serial tag
    assert rig.store().versions("never-issued") == ()

    server = TlsServer(old_chain, old_key).start()
    try:
        endpoint = EndpointSpec("127.0.0.1", server.port, spec.domains[0])
        watched = replace(spec, endpoints=(endpoint,), grace=timedelta(hours=4))
        settings = ProbeSettings(connect_timeout=1.0, handshake_timeout=2.0)
        (soon,) = verify([watched], services.stores, settings=settings).findings
        later = datetime.now(UTC) + timedelta(hours=5)
        (late,) = verify([watched], services.stores, now=later, settings=settings).findings
    finally:
        server.stop()
    assert soon.verdict is Verdict.WITHIN_GRACE, soon.message
    assert late.verdict is Verdict.STALE, late.message
    assert late.current is not None and late.current.serial in late.message
