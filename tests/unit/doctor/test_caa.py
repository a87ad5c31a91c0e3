"""doctor.caa: one check per certificate, whether its names' CAA records allow the CA.

The records are served by a real DNS server (pebble-challtestsrv) named as the
certificate's propagation nameserver; the CA's identities are configured, so no
CA is asked.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from rig.challtestsrv import Challtestsrv

from renewer.config.types.store_directory import DirectorySettings
from renewer.core.models import CertificateSpec
from renewer.core.settings import PropagationSettings, StoreSettings
from renewer.doctor.caa import FIX, check_caa
from tests.unit.factories import spec

CA = "ca.example"


@pytest.fixture(scope="module")
def challtestsrv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Challtestsrv]:
    """One server for the module; its name marks the tests that use it ``integration``."""
    with Challtestsrv(Path(tmp_path_factory.mktemp("challtestsrv"))) as server:
        server.add_caa("ok.test.", ("issue", CA))
        server.add_caa("no.test.", ("issue", "other-ca.example"))
        yield server


def checked(server: str, name: str, domain: str, store: Path) -> CertificateSpec:
    s = spec(name, domains=(domain,))
    return replace(
        s,
        acme=replace(s.acme, caa_identities=(CA,)),
        dns=replace(s.dns, propagation=PropagationSettings(nameservers=(server,), timeout=2.0)),
        store=StoreSettings("directory", DirectorySettings(store)),
    )


def test_allowed_refused_and_unsure_names(challtestsrv: Challtestsrv, tmp_path: Path) -> None:
    specs = [
        checked(challtestsrv.dns_address, "good", "www.ok.test", tmp_path),
        checked(challtestsrv.dns_address, "bad", "no.test", tmp_path),
    ]
    good, bad = check_caa(specs)
    assert (good.ok, good.area, good.line) == (True, "CAA good", f"allows {CA} for 1 name(s)")
    assert (bad.ok, bad.area, bad.fix) == (False, "CAA bad", FIX)
    assert bad.line.startswith("no.test: ")
