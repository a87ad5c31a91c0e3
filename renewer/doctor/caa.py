"""Doctor: does each certificate's CAA set let this CA, account and dns-01 issue?

The same lookups and rules as a run's pre-order check (renewer.execute.caa),
one line per certificate, so a forbidding record is found before a first run.
"""

from __future__ import annotations

from collections.abc import Sequence

from renewer.core.errors import describe_error
from renewer.core.models import CertificateSpec
from renewer.core.retry import Deadline
from renewer.doctor.model import Check, failed, passed
from renewer.execute.caa import ADVICE_DEADLINE, account_url_of, identities
from renewer.execute.services import Services

FIX = "publish the record `renewer caa` prints, or remove the one that forbids"


def check_caa(specs: Sequence[CertificateSpec]) -> list[Check]:
    services = Services()
    checks: list[Check] = []
    for spec in specs:
        area = f"CAA {spec.name}"
        try:
            store = services.stores.get(spec.store)
            account = services.account(spec.acme, store)
            found = identities(spec, account, Deadline.after(ADVICE_DEADLINE))
        except Exception as exc:
            checks.append(failed(area, f"not checked: {describe_error(exc)}", FIX))
            continue
        url = account_url_of(store, spec.acme.directory)
        verdicts = services.caa.verdicts(spec, found, url)
        refused = [v for v in verdicts if v.allowed is False]
        unsure = [v for v in verdicts if v.allowed is None]
        if refused:
            checks.append(failed(area, "; ".join(f"{v.domain}: {v.reason}" for v in refused), FIX))
        elif unsure:
            checks.append(
                passed(
                    area, "not all checked: " + "; ".join(f"{v.domain}: {v.reason}" for v in unsure)
                )
            )
        else:
            checks.append(passed(area, f"allows {', '.join(found)} for {len(verdicts)} name(s)"))
    return checks
