"""Whether the CA offers each configured ``profile:``, read from its directory at plan time.

An order for a profile the CA does not offer is refused by the CA, so the
plan can say so before any order (and before any DNS write or Key Vault
operation): the certificate fails with the reason, the others go on. The
directory is the one the run fetches anyway (once per account), and a CA that
does not answer here refuses nothing: the order checks again
(``AcmeAccount.check_profile``) and says what went wrong.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Mapping
from concurrent.futures import Future, ThreadPoolExecutor

from renewer.core.errors import describe_error
from renewer.core.models import CertificateSpec
from renewer.core.retry import Deadline
from renewer.core.settings import AcmeSettings, StoreSettings
from renewer.execute.services import Services

log = logging.getLogger(__name__)

# The names a CA's meta.profiles offers go into plan reasons, which reports render as
# our own words: only plain tokens are shown, anything else is counted.
_SHOWN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")

Key = tuple[AcmeSettings, StoreSettings]


def offered(
    specs: Collection[CertificateSpec],
    services: Services,
    pool: ThreadPoolExecutor,
    seconds: float,
) -> dict[Key, Future[frozenset[str] | None]]:
    """The CA's profiles, asked (in ``pool``) for every account a configured profile uses."""
    wanted: dict[Key, Future[frozenset[str] | None]] = {}
    for spec in specs:
        key = (spec.acme, spec.store)
        if spec.acme.profile is not None and key not in wanted:
            wanted[key] = pool.submit(_profiles, spec, services, seconds)
    return wanted


def _profiles(spec: CertificateSpec, services: Services, seconds: float) -> frozenset[str] | None:
    try:
        account = services.account(spec.acme, services.stores.get(spec.store))
        return frozenset(account.profiles(Deadline.after(seconds)))
    except Exception as exc:  # unknown: the order checks again and says why it failed
        log.debug("%s: profiles not read: %s", spec.name, describe_error(exc))
        return None


def refusals(
    specs: Collection[CertificateSpec], offers: Mapping[Key, Future[frozenset[str] | None]]
) -> dict[str, str]:
    """Certificate name -> why the CA cannot issue it (a profile it does not offer)."""
    refused: dict[str, str] = {}
    for spec in specs:
        profile = spec.acme.profile
        future = offers.get((spec.acme, spec.store))
        found = future.result() if future is not None else None
        if profile is not None and found is not None and profile not in found:
            refused[spec.name] = not_offered(profile, found)
    return refused


def not_offered(profile: str, offered: Collection[str]) -> str:
    """'profile 'x' is not offered by the CA (offers: a, b)', with CA names kept inert."""
    if not offered:
        return f"profile {profile!r} is not offered by the CA (it offers no profiles)"
    shown = sorted(name for name in offered if _SHOWN.fullmatch(name))
    others = len(offered) - len(shown)
    names = ", ".join(shown) + (f" and {others} other(s)" if others and shown else "")
    names = names or f"{others} not shown"
    return f"profile {profile!r} is not offered by the CA (offers: {names})"
