"""Doctor check: certificates another tool (keyvault-acmebot) would still renew.

After an adoption renewer owns the name, but acmebot's daily loop still picks
any certificate whose current version carries its tags (``Issuer=Acmebot`` or
an ``Acmebot`` tag, with its endpoint's host): two owners renewing one name, each
making versions the other did not plan. Adoption drops those tags; this check
finds them where they came back (a ``tags:`` entry in certificates.yaml, a
person, acmebot itself) and names the certificates still to adopt.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from renewer.core.models import CertificateSpec
from renewer.doctor.model import Check, failed, passed, warned

GUIDE = "docs/migrate-from-acmebot.md"


def check_foreign(vault_url: str, store: Any, specs: Sequence[CertificateSpec]) -> list[Check]:
    """One line per configured certificate another tool issued or would still renew."""
    area = f"vault {vault_url}"
    wanted = {s.name.lower(): s for s in specs}
    checks: list[Check] = []
    try:
        listed = list(store.iter_current())
    except Exception as exc:  # the listing line above already says why
        return [failed(area, "certificates not listed for the acmebot check", str(exc))]
    for stored in listed:
        spec = wanted.get(stored.name.lower())
        foreign = stored.foreign
        if spec is None or (foreign is None and stored.managed):
            continue
        who = foreign.words() if foreign else "another tool"
        if stored.managed and foreign is not None:
            tags = ", ".join(foreign.selected_by)
            checks.append(
                warned(
                    area,
                    f"{stored.name} is renewer's but still carries {foreign.tool}'s tag(s) "
                    f"{tags}: {foreign.tool}'s renewal loop selects it and would renew it too",
                    f"remove {tags} from its tags (in certificates.yaml tags: too), or stop "
                    f"{foreign.tool} ({GUIDE})",
                )
            )
        elif spec.adopt:
            checks.append(passed(area, f"{stored.name}: issued by {who}; the next run adopts it"))
        else:
            checks.append(
                warned(
                    area,
                    f"{stored.name}: issued by {who}, not renewer's; runs report it blocked "
                    "(an error once it is due)",
                    f"set adopt: true on it, or run renewer adopt {stored.name} ({GUIDE})",
                )
            )
    return checks
