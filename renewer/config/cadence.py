"""The keys ``run_every`` and ``run_slack``: how often scheduled runs come, and how late.

The planner renews a certificate now when its renewal time falls before the
next run would start (renewer.plan.policy), so it must know the cadence the
workflow's ``schedule:`` gives. ``run_slack`` covers a run that starts late
(GitHub documents delays under load). Both live in ``defaults`` and may be
set per certificate; renewer.config.extras checks them together.
"""

from __future__ import annotations

from renewer.config.convert import DURATION, NUMBER, Field, doc, plain
from renewer.config.durations import parse_duration

CADENCE_DEFAULTS: dict[str, Field] = {
    "run_every": doc(
        DURATION,
        "How often scheduled runs come (default 12h, the shipped schedule). A certificate "
        "whose renewal time falls before the next run would start is renewed now.",
    ),
    "run_slack": Field(
        convert=plain(parse_duration),
        accepts=NUMBER,
        description=(
            "How late a scheduled run may start (default 1h, or a quarter of run_every when "
            "that is less); at most a quarter of run_every."
        ),
    ),
}
CADENCE_OVERRIDES: dict[str, Field] = {
    "run_every": doc(DURATION, "Overrides defaults.run_every."),
    "run_slack": Field(
        convert=plain(parse_duration), accepts=NUMBER, description="Overrides defaults.run_slack."
    ),
}
