"""Doctor checks for an ACME CA: directory reachable, EAB required or not, profiles offered.

RFC 8555 section 7.1.1 (``meta.externalAccountRequired``) and the ACME
profiles draft (``meta.profiles``): what the directory says decides whether
the config's EAB and profile choices can work.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import requests

from renewer.core.settings import AcmeSettings
from renewer.doctor.model import Check, failed, passed

TIMEOUT = 15


def check_ca(acme: AcmeSettings, profiles: Sequence[str]) -> list[Check]:
    area = f"CA {acme.directory}"
    verify: str | bool = str(acme.ca_bundle) if acme.ca_bundle else True
    try:
        response = requests.get(acme.directory, timeout=TIMEOUT, verify=verify)
        response.raise_for_status()
        directory: Any = response.json()
        meta = directory.get("meta") or {}
    except (requests.RequestException, ValueError, AttributeError) as exc:
        return [
            failed(
                area,
                f"directory unreachable ({exc.__class__.__name__})",
                "check acme.directory, network egress and acme.ca_bundle",
            )
        ]
    checks = [passed(area, "directory reachable")]
    eab = bool(meta.get("externalAccountRequired"))
    if eab and acme.eab is None:
        checks.append(
            failed(area, "EAB required", "set acme.eab (kid, hmac_key) from the CA's account page")
        )
    else:
        checks.append(passed(area, "EAB " + ("required, configured" if eab else "not required")))
    offered = sorted(dict(meta.get("profiles") or {}))
    shown = ", ".join(offered) if offered else "none"
    missing = [p for p in profiles if p not in offered]
    if missing:
        checks.append(
            failed(
                area,
                f"profile {', '.join(missing)} not offered (offered: {shown})",
                "choose one of the offered profiles",
            )
        )
    else:
        checks.append(passed(area, f"profiles offered: {shown}"))
    return checks
