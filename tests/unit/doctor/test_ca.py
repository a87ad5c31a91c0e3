"""doctor.ca: the CA's directory reachable, EAB and profiles as the config needs them.

The CA is a real Pebble (tests/rig/pebble.py), once with EAB required and profiles.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

from rig.pebble import Pebble, PebbleProfile

from renewer.core.settings import AcmeSettings, EabSettings, SecretRef
from renewer.doctor.ca import check_ca

PebbleFactory = Callable[..., Pebble]  # the root conftest's pebble_factory


def settings(pebble: Pebble, **more: object) -> AcmeSettings:
    return AcmeSettings(directory=pebble.directory_url, ca_bundle=pebble.ca_bundle, **more)  # type: ignore[arg-type]


def test_a_ca_that_needs_eab_and_offers_profiles(pebble_factory: PebbleFactory) -> None:
    pebble = pebble_factory(
        dns_server="127.0.0.1:53",
        eab_keys={"kid-1": "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W"},
        profiles={"classic": PebbleProfile(), "shortlived": PebbleProfile(validity_period=86400)},
    )
    area = f"CA {pebble.directory_url}"
    checks = check_ca(settings(pebble), ["shortlived", "tlsserver"])
    assert [(c.ok, c.area, c.line) for c in checks] == [
        (True, area, "directory reachable"),
        (False, area, "EAB required"),
        (False, area, "profile tlsserver not offered (offered: classic, shortlived)"),
    ]
    eab = EabSettings(kid=SecretRef("EAB_KID"), hmac_key=SecretRef("EAB_HMAC"))
    checks = check_ca(settings(pebble, eab=eab), ["classic"])
    assert [c.line for c in checks][1:] == [
        "EAB required, configured",
        "profiles offered: classic, shortlived",
    ]
    assert all(c.ok for c in checks)


def test_an_unreachable_directory_is_one_failed_check() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    (check,) = check_ca(AcmeSettings(directory=f"https://127.0.0.1:{port}/dir"), [])
    assert not check.ok
    assert check.line == "directory unreachable (ConnectionError)"
    assert "acme.ca_bundle" in check.fix
