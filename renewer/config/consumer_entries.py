"""Walking a certificate's ``consumers:`` list into ``ConsumerSpec``s, every problem located.

A list item is a string (the short form) or a mapping, which the generic
list walker does not handle, so this module walks it with the same Checker
and reports every mistake as FILE:LINE:COL like the rest of the file. The
keys and their checks are the tables in ``config/consumers.py``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import yaml

from renewer.config.consumers import COMMON, KIND_FIELDS, STORE_FIELDS
from renewer.config.convert import Field
from renewer.config.nodes import INVALID, Checker, Source, is_null, kind_of
from renewer.core.consumers import DEFAULT_POLLING, KINDS, ConsumerSpec, parse_resource_id
from renewer.core.settings import StoreSettings

MAX_CONSUMERS = 50
_KIND = Field(enum=tuple(KINDS))


def read_consumers(checker: Checker, source: Source, store: StoreSettings | None) -> Any:
    """The certificate's consumers as a tuple, or INVALID with the problems recorded."""
    entry = source.entries.get("consumers")
    if entry is None or is_null(entry.value):
        return ()
    node, path = entry.value, entry.path
    if not isinstance(node, yaml.SequenceNode):
        checker.error(node, f"{path}: expected a list of consumers, got {kind_of(node)}")
        return INVALID
    if len(node.value) > MAX_CONSUMERS:
        checker.error(node, f"{path}: has {len(node.value)} entries; at most {MAX_CONSUMERS}")
        return INVALID
    before = len(checker.issues)
    found: dict[ConsumerSpec, yaml.Node] = {}
    for index, item in enumerate(node.value):
        where = f"{path}[{index}]"
        if isinstance(item, yaml.MappingNode):
            spec = _mapping(checker, item, where, store)
        else:
            kind = checker.scalar(_KIND, item, path, index)
            spec = None if kind is INVALID else ConsumerSpec(kind)
        if spec is None:
            continue
        if spec in found:
            line = found[spec].start_mark.line + 1
            checker.error(item, f"{where}: duplicate consumer (already listed at line {line})")
        found[spec] = item
    return tuple(found) if len(checker.issues) == before else INVALID


def _mapping(
    checker: Checker, item: yaml.MappingNode, where: str, store: StoreSettings | None
) -> ConsumerSpec | None:
    entries = checker.mapping(item, where) or {}
    source = Source(entries, item, where)
    kind = checker.get(source, COMMON, "kind")
    if kind is INVALID:
        return None
    table = {**COMMON, **KIND_FIELDS[kind]}
    before = len(checker.issues)
    checker.check_keys(source, table, typed=f"consumer kind {kind!r}")
    what = f"{_a(kind)} consumer"
    values = {name: checker.get(source, table, name, what) for name in table if name != "store"}
    resource = None
    text = values.pop("resource")
    if isinstance(text, str):
        resource = _resource(checker, entries["resource"].value, f"{where}.resource", kind, text)
    elif kind != "other" and text is None:
        checker.error(item, f"{where}: missing required key 'resource' for {what}")
    if resource is not None and (store is None or store.type != "keyvault"):
        kind_name = store.type if store else "no"
        checker.error(
            entries["resource"].value,
            f"{where}: {what} reads the certificate from Key Vault, but this "
            f"certificate uses a {kind_name} store",
        )
    if "store" in entries and not is_null(entries["store"].value):
        values.update(_store(checker, entries["store"].value, f"{where}.store"))
    if len(checker.issues) != before:
        return None
    return _spec(values, resource)


def _spec(values: dict[str, Any], resource: Any) -> ConsumerSpec:
    accounts = values.pop("accounts", None)
    polling = values.pop("polling", None)
    certificate = values.pop("certificate", None)
    return ConsumerSpec(
        resource=resource,
        accounts=tuple(accounts or ()),
        polling=polling if isinstance(polling, timedelta) else DEFAULT_POLLING,
        certificate=certificate or "",
        **{k: v for k, v in values.items() if v is not None},
    )


def _resource(checker: Checker, node: yaml.Node, path: str, kind: str, text: str) -> Any:
    """The parsed resource id if it names one of the kind's resource types."""
    try:
        resource = parse_resource_id(text)
    except ValueError as exc:
        checker.error(node, f"{path}: {exc}")
        return None
    types = KINDS[kind].types
    if types and resource.provider_type.lower() not in {t.lower() for t in types}:
        wanted = " or ".join(types)
        checker.error(
            node,
            f"{path}: {_a(kind)} consumer needs a {wanted} resource, got {resource.provider_type}",
        )
        return None
    return resource


def _store(checker: Checker, node: yaml.Node, path: str) -> dict[str, Any]:
    entries = checker.mapping(node, path)
    if entries is None:
        return {}
    source = Source(entries, node, path)
    values = checker.section(source, STORE_FIELDS) or {}
    return {f"store_{name}": value for name, value in values.items()}


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"
