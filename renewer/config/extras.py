"""Certificate keys checked by modules of their own: verify's endpoints, the run cadence.

``run_slack`` more than a quarter of ``run_every`` would stretch the planner's
look-ahead (renewer.plan.policy.next_run) by a large share of a run, so it is
refused with its position: at the run_slack that is too large, or at the
certificate's own run_every when that is what made a default slack too large.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import yaml

from renewer.config.endpoints import verify_fields
from renewer.config.fields import SECTIONS
from renewer.config.nodes import Checker, Source, is_null
from renewer.core.models import DEFAULT_RUN_EVERY, default_slack


def spec_extras(
    checker: Checker,
    source: Source,
    domains: Any,
    defaults: Source,
    default_values: Mapping[str, Any],
    consumers: Any = (),
) -> dict[str, Any]:
    """The CertificateSpec fields of ``renewer verify`` and of the run cadence."""
    return {
        **verify_fields(checker, source, domains, default_values, consumers),
        **cadence_fields(checker, source, defaults, default_values),
    }


def cadence_fields(
    checker: Checker, source: Source, defaults: Source, default_values: Mapping[str, Any]
) -> dict[str, Any]:
    """``run_every`` and ``run_slack`` for CertificateSpec; problems go to ``checker``."""
    every, every_at, own_every = _value(checker, source, defaults, default_values, "run_every")
    every = every if isinstance(every, timedelta) else DEFAULT_RUN_EVERY
    slack, slack_at, own_slack = _value(checker, source, defaults, default_values, "run_slack")
    if not isinstance(slack, timedelta):
        return {"run_every": every, "run_slack": default_slack(every)}
    if slack > every / 4 and slack_at is not None:
        most = _words(every / 4)
        if own_every and not own_slack and every_at is not None:
            node, message = (
                every_at[0],
                (
                    f"{every_at[1]}: run_every {_words(every)} allows at most {most} of run_slack, "
                    f"but {slack_at[1]} is {_words(slack)}; set run_slack on this certificate"
                ),
            )
        else:
            node, message = (
                slack_at[0],
                (
                    f"{slack_at[1]}: run_slack {_words(slack)} is more than a quarter of run_every "
                    f"{_words(every)}; at most {most}"
                ),
            )
        if not any(issue[2] == message for issue in checker.issues):  # once, not per entry
            checker.error(node, message)
    return {"run_every": every, "run_slack": min(slack, every / 4)}


def _value(
    checker: Checker,
    source: Source,
    defaults: Source,
    default_values: Mapping[str, Any],
    name: str,
) -> tuple[Any, tuple[yaml.Node, str] | None, bool]:
    """The certificate's own value, else the default's; where it was written; whether own."""
    entry = source.entries.get(name)
    if entry is not None and not is_null(entry.value):
        return checker.get(source, SECTIONS["certificate"], name), (entry.value, entry.path), True
    found = defaults.entries.get(name)
    if found is not None and not is_null(found.value):
        return default_values.get(name), (found.value, found.path), False
    return None, None, False


def _words(span: timedelta) -> str:
    """A duration as the file writes it: 12h, 90m, 7m30s."""
    left, parts = span.total_seconds(), []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if left >= size:
            parts.append(f"{int(left // size)}{unit}")
            left %= size
    if left or not parts:
        parts.append(f"{left:g}s")
    return "".join(parts)
