"""``renewer adopt``: take over same-name certificates another tool issued, tags only.

The config's ``adopt: true`` does the same inside a run (and renews when due);
this use case exists for the migration step before the first run: write
renewer's tags, change nothing else, and see at once what was taken over. It
holds each certificate's lock, as a run would, so it never races a run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from renewer.core import timefmt
from renewer.core.errors import describe_error
from renewer.core.models import CertificateSpec, StoredCertificate
from renewer.execute.services import Services
from renewer.stores.contract import Adopts, StoreError


@dataclass(frozen=True)
class Adopted:
    """What ``renewer adopt`` did for one certificate."""

    name: str
    before: StoredCertificate | None = None
    error: str | None = None

    def line(self) -> str:
        if self.error is not None:
            return f"failed  {self.name}: {self.error}"
        before = self.before
        if before is None:
            return f"skipped {self.name}: nothing stored under this name"
        if before.managed:
            return f"skipped {self.name}: already renewer's (nothing written)"
        who = before.foreign.words() if before.foreign else "another tool"
        return (
            f"adopted {self.name}: issued by {who}, expires {timefmt.day(before.not_after)}; "
            "renewer's tags written, the certificate and its secret unchanged"
        )


def adopt(specs: Iterable[CertificateSpec], services: Services) -> list[Adopted]:
    """One outcome per spec, in order; one certificate's failure never stops the others."""
    done: list[Adopted] = []
    for spec in specs:
        try:
            store = services.stores.get(spec.store)
            if not isinstance(store, Adopts):
                raise StoreError(f"{store.describe()} cannot adopt certificates")
            with store.lock(spec.name):
                before = store.current(spec.name)
                if before is not None and not before.managed:
                    store.adopt(spec)
            done.append(Adopted(spec.name, before))
        except Exception as exc:
            done.append(Adopted(spec.name, error=describe_error(exc)))
    return done
