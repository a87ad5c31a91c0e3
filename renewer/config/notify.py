"""The ``notify:`` lists: where a run's outcome is sent (Teams, Slack, webhook, e-mail).

The types are declared in ``renewer/config/types/notify_*.py`` (what every
target has in ``renewer.config.types.notifiers``); this module walks a ``notify:`` list
against them (the loader calls :func:`build_targets` and :func:`combine`).

A top-level list reaches every certificate; a certificate's own list (its
owner team's channel) reaches only it. The same target named in several
places is one target whose scope is the union, so a channel never gets the
same run twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import yaml

from renewer.config.fields import SECTIONS, all_keys, typed_table
from renewer.config.nodes import INVALID, Checker, Entry, Source, is_null, kind_of
from renewer.config.types.base import BuildContext, fields_of
from renewer.config.types.notifiers import NotifySettings
from renewer.config.types.registry import NOTIFIER_TYPES

__all__ = ["NotifySettings", "build_targets", "combine"]

Target = NotifySettings[Any]


def build_targets(checker: Checker, entry: Entry | None) -> tuple[Target, ...]:
    """A ``notify:`` list's targets; every problem is recorded on ``checker``."""
    if entry is None or is_null(entry.value):
        return ()
    if not isinstance(entry.value, yaml.SequenceNode):
        checker.error(entry.value, f"{entry.path}: expected a list, got {kind_of(entry.value)}")
        return ()
    found = (
        _target(checker, item, f"{entry.path}[{i}]") for i, item in enumerate(entry.value.value)
    )
    return tuple(target for target in found if target is not None)


def _target(checker: Checker, item: yaml.Node, where: str) -> Target | None:
    entries = checker.mapping(item, where)
    if entries is None:
        return None
    source = Source(entries, item, where)
    common = SECTIONS["notify"]
    type_entry = entries.get("type")
    type_name = INVALID
    if type_entry is None:
        checker.get(source, common, "type")
    else:
        type_name = checker.scalar(common["type"], type_entry.value, type_entry.path)
    if type_name is INVALID:
        checker.check_keys(source, all_keys("notify"))
        return None
    table = typed_table("notify", type_name)
    values = checker.section(source, table, typed=f"notify type {type_name!r}")
    if values is None:
        return None
    smtp = values.get("smtp")
    if smtp and not smtp["starttls"] and (smtp["username"] or smtp["password"]):
        node = entries["smtp"].value
        checker.error(
            node,
            f"{where}.smtp: username/password need starttls: true (else "
            "they cross the network in clear)",
        )
        return None
    own = {name: values[name] for name in table if name not in common}
    target = NOTIFIER_TYPES[type_name].build(own, BuildContext())
    shared = {name: values[name] for name in fields_of(NotifySettings)}
    return NotifySettings(type_name, target, **shared)


def combine(top: Iterable[Target], own: Iterable[tuple[str, Target]]) -> tuple[Target, ...]:
    """Top-level targets (every certificate) and certificates' own, identical ones merged."""
    scopes: dict[Target, frozenset[str] | None] = {}
    for target in top:
        scopes[replace(target, certificates=None)] = None
    for name, target in own:
        key = replace(target, certificates=None)
        if key in scopes and scopes[key] is None:
            continue
        scopes[key] = (scopes.get(key) or frozenset()) | {name}
    return tuple(replace(target, certificates=scope) for target, scope in scopes.items())
