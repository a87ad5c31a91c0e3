"""A certificate's lifecycle keys (retire, rename, who uses it), merged into its table.

``adopt`` takes over a same-name certificate another tool issued,
``retired`` stops renewals on purpose, ``previous_name`` keeps a renamed
certificate's history (the planner does not call the old name orphaned), and
``consumers`` names who uses it (config/consumers.py: setup, nudges, doctor,
verify's grace, and a warning for a key type a consumer cannot load).
"""

from __future__ import annotations

from renewer.config.consumers import CONSUMERS_FIELD
from renewer.config.convert import Field, plain
from renewer.config.domains import check_certificate_name

LIFECYCLE: dict[str, Field] = {
    "adopt": Field(
        accepts=("bool",),
        default=False,
        description=(
            "Take over a certificate of this name that another tool (keyvault-acmebot) "
            "issued into the store: renewer writes its own tags and renews it as new "
            "versions of the same name, so consumers keep their URL (default false; "
            "without it such a certificate is blocked). See docs/migrate-from-acmebot.md."
        ),
    ),
    "retired": Field(
        accepts=("bool",),
        default=False,
        description=(
            "Stop renewing this certificate on purpose: it is kept in the store, never "
            "renewed, and the plan says so (default false)."
        ),
    ),
    "consumers": CONSUMERS_FIELD,
    "previous_name": Field(
        convert=plain(check_certificate_name),
        description=(
            "The name this certificate had before a rename: the old one is kept and not "
            "reported as orphaned."
        ),
        pattern="^[0-9A-Za-z-]{1,127}$",
    ),
}
