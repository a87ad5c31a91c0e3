"""Composing YAML nodes, and walking them against the field tables (config.fields).

``Checker`` walks composed YAML nodes (which keep line and column) against
the tables and collects every issue instead of stopping at the first,
because a person fixing a pull request wants the whole list.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

import yaml

from renewer.config.convert import NUMBER, Context, Field
from renewer.config.domains import show
from renewer.config.fields import MAX_TAG_LENGTH, SECTIONS, TYPED

# PyYAML's wheels ship libyaml; without it, the pure-Python loader does it all.
_FAST = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def compose(text: str) -> yaml.Node | None:
    """The node tree of ``text``, parsed by libyaml; what it refuses, by PyYAML's pure loader.

    ``CSafeLoader`` builds the same nodes, tags and line:column marks several
    times faster. A document it refuses (a syntax error; nesting past its
    bound, a refusal rather than a crash) is parsed again by the pure loader,
    whose error messages are the ones users see (and tests pin).
    """
    try:
        return yaml.compose(text, Loader=_FAST)
    except yaml.YAMLError:
        return yaml.compose(text, Loader=yaml.SafeLoader)


_TAG = "tag:yaml.org,2002:"
_MERGE_TAG = _TAG + "merge"
_NULL_TAG = _TAG + "null"
_KINDS = {
    "str": "a string",
    "int": "an integer",
    "float": "a number",
    "bool": "a boolean",
    "null": "null",
    "timestamp": "a date",
}
_BOOLS = {"yes": True, "true": True, "on": True, "no": False, "false": False, "off": False}
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_SHORT = 60  # a key or value quoted next to a path and a hint: keep it shorter
INVALID: Any = object()
"""A value that failed; its issue is already recorded."""


# Entry and Source are immutable named tuples rather than frozen dataclasses: a file
# of 50,000 certificates makes 200,000 of them, and a tuple is built at half the cost.
class Entry(NamedTuple):
    """One key/value pair, remembering which mapping it came from for messages."""

    name: str
    key: yaml.Node
    value: yaml.Node
    where: str

    @property
    def path(self) -> str:
        return f"{self.where}.{self.name}" if self.where else self.name


class Source(NamedTuple):
    """A section's entries, plus the node and path to blame for a missing key.

    ``replaced`` names the top-level type an override replaced, so a missing
    key can say why the top-level value no longer applies.
    """

    entries: dict[str, Entry]
    node: yaml.Node
    where: str
    replaced: str | None = None


def kind_of(node: yaml.Node) -> str:
    """How a node reads to a person: "a list", "a string", "null"."""
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    kind, tag = scalar_of(node)[0], str(node.tag)
    return _KINDS.get(kind, f"a value tagged {tag.replace(_TAG, '!!', 1)}")


def _kind_of_tag(tag: str) -> str:
    return tag[len(_TAG) :] if tag.startswith(_TAG) else "other"


_TAG_KINDS: dict[str, str] = {_TAG + name: name for name in _KINDS}
"""The common tags' kinds, looked up instead of sliced for every scalar."""


def scalar_of(node: yaml.Node) -> tuple[str, Any]:
    """(kind, Python value) of a scalar node; kind "other" for anything unusable."""
    tag = str(node.tag)
    kind = _TAG_KINDS.get(tag) or _kind_of_tag(tag)
    try:
        if kind == "bool":
            return ("bool", _BOOLS[str(node.value).lower()])
        if kind in ("int", "float") and isinstance(node, yaml.ScalarNode):
            number = _CONSTRUCTOR.construct_yaml_int if kind == "int" else None
            return (kind, (number or _CONSTRUCTOR.construct_yaml_float)(node))
    except (KeyError, ValueError, TypeError, AttributeError):
        return ("other", None)
    return (kind if kind in _KINDS else "other", node.value)


def is_null(node: yaml.Node | None) -> bool:
    # what scalar_of(node)[0] == "null" says: the kind comes from the tag alone
    return isinstance(node, yaml.ScalarNode) and str(node.tag) == _NULL_TAG


class Checker:
    """Checks node trees against field tables, collecting every issue found."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.issues: list[tuple[int, int, str]] = []  # line, column, message (1-based)
        self._merged: dict[tuple[int, str], dict[str, Entry]] = {}

    def error(self, node: yaml.Node, message: str) -> None:
        mark = node.start_mark
        self.issues.append((mark.line + 1, mark.column + 1, message))

    def mapping(self, node: yaml.Node, where: str) -> dict[str, Entry] | None:
        """A mapping's entries with ``<<`` merges applied; None (reported) if not a mapping."""
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{where or 'top level'}: expected a mapping, got {kind_of(node)}")
            return None
        return self._entries(node, where, frozenset({id(node)}))

    def _entries(
        self, node: yaml.MappingNode, where: str, seen: frozenset[int]
    ) -> dict[str, Entry]:
        explicit: dict[str, Entry] = {}
        merged: dict[str, Entry] = {}
        for key, value in node.value:
            if key.tag == _MERGE_TAG:
                for source in value.value if isinstance(value, yaml.SequenceNode) else [value]:
                    if not isinstance(source, yaml.MappingNode):
                        self.error(source, f"{where or 'top level'}: '<<' can only merge mappings")
                    elif id(source) not in seen:  # memo: merge chains must not grow exponentially
                        memo = (id(source), where)
                        if memo not in self._merged:
                            self._merged[memo] = self._entries(source, where, seen | {id(source)})
                        for name, entry in self._merged[memo].items():
                            merged.setdefault(name, entry)
                continue
            if not isinstance(key, yaml.ScalarNode):
                self.error(key, f"{where or 'top level'}: keys must be strings, got {kind_of(key)}")
                continue
            name = str(key.value)
            if name in explicit:  # PyYAML would silently keep the last one
                line = explicit[name].key.start_mark.line + 1
                message = f"duplicate key {show(name, _SHORT)} (first defined at line {line})"
                self.error(key, f"{where or 'top level'}: {message}")
                continue
            explicit[name] = Entry(name, key, value, where)
        return {**merged, **explicit}

    def check_keys(
        self, source: Source, table: Mapping[str, Field], *, secret: bool = False, typed: str = ""
    ) -> None:
        """Report keys the table does not know, suggesting the closest known one."""
        for name, entry in source.entries.items():
            if name in table:
                continue
            where = entry.where or "top level"
            close = difflib.get_close_matches(name, list(table), 1, 0.6)
            hint = f"; did you mean {close[0]!r}?" if close else f" (allowed: {', '.join(table)})"
            kind = typed.split(" ")[0]
            owners = [t for t in TYPED.get(kind, ()) if name in SECTIONS[f"{kind}.{t}"]]
            if secret:
                self.error(entry.key, f"{where}: unknown key{hint}")
            elif owners:
                message = f"key {name!r} belongs to {kind} type {owners[0]!r}, not to {typed}"
                self.error(entry.key, f"{where}: {message}")
            else:
                self.error(entry.key, f"{where}: unknown key {show(name, _SHORT)}{hint}")

    def get(self, source: Source, table: Mapping[str, Field], name: str, what: str = "") -> Any:
        """A field's converted value, its default when absent or null, or INVALID."""
        field = table[name]
        entry = source.entries.get(name)
        if entry is None and field.required:
            note = f" for {what}" if what else ""
            if source.replaced is not None:
                note += (
                    f" (this override changes the type from {source.replaced!r}, so it"
                    " replaces the whole section and must be complete)"
                )
            where = source.where or "top level"
            self.error(source.node, f"{where}: missing required key {name!r}{note}")
            return INVALID
        if entry is None or (is_null(entry.value) and not field.required):
            if isinstance(field.default, str) and field.convert:
                return field.convert(field.default, self.ctx)
            return field.default
        return self.value(field, entry)

    def section(
        self, source: Source, table: Mapping[str, Field], *, secret: bool = False, typed: str = ""
    ) -> dict[str, Any] | None:
        """All fields of a section, or None if any of them (or an unknown key) failed."""
        before = len(self.issues)
        self.check_keys(source, table, secret=secret, typed=typed)
        values = {name: self.get(source, table, name, typed) for name in table}
        return values if len(self.issues) == before else None

    def value(self, field: Field, entry: Entry) -> Any:
        node, path = entry.value, entry.path
        if field.shape == "list":
            return self.sequence(field, node, path)
        if field.shape == "map":
            return self.tags(field, node, path)
        if field.shape == "section":
            entries = self.mapping(node, path)
            source = Source(entries or {}, node, path)
            values = self.section(source, SECTIONS[field.section], secret=field.secret)
            return INVALID if entries is None or values is None else values
        return self.scalar(field, node, path)

    def scalar(self, field: Field, node: yaml.Node, path: str, index: int | None = None) -> Any:
        """A scalar's converted value, or INVALID; ``index``: item of the list at ``path``.

        The item's path (``domains[3]``) is only put together for a message.
        """
        kind, value = scalar_of(node) if isinstance(node, yaml.ScalarNode) else ("", None)
        if kind not in field.accepts:
            expected = "a string"
            if field.accepts == ("bool",):
                expected = "a boolean (true or false)"
            elif field.accepts == NUMBER:
                expected = "a duration (like 30d, 12h or 90s)"
            quote = kind in ("int", "float", "bool", "timestamp") and "str" in field.accepts
            hint = " (put it in quotes to make it a string)" if quote else ""
            where = path if index is None else f"{path}[{index}]"
            self.error(node, f"{where}: expected {expected}, got {kind_of(node)}{hint}")
            return INVALID
        if field.enum and value not in field.enum:
            close = difflib.get_close_matches(str(value), field.enum, 1, 0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            allowed = ", ".join(field.enum)
            where = path if index is None else f"{path}[{index}]"
            self.error(
                node, f"{where}: unknown value {show(value, _SHORT)}{hint} (allowed: {allowed})"
            )
            return INVALID
        try:
            return field.convert(value, self.ctx) if field.convert else value
        except ValueError as exc:
            where = path if index is None else f"{path}[{index}]"
            self.error(node, f"{where}: {exc}")
            return INVALID

    def sequence(self, field: Field, node: yaml.Node, path: str) -> Any:
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, f"{path}: expected a list, got {kind_of(node)}")
            return INVALID
        count = len(node.value)
        if count < field.min_items:
            self.error(node, f"{path}: must not be empty")
            return INVALID
        if field.max_items and count > field.max_items:
            self.error(node, f"{path}: has {count} entries; at most {field.max_items} allowed")
            return INVALID
        before = len(self.issues)
        seen: dict[Any, yaml.Node] = {}
        for index, item in enumerate(node.value):
            value = self.scalar(field, item, path, index)
            if value is not INVALID and field.unique and value in seen:
                line = seen[value].start_mark.line + 1
                self.error(
                    item,
                    f"{path}[{index}]: duplicate {show(value, _SHORT)} "
                    f"(already listed at line {line})",
                )
            elif value is not INVALID:
                seen[value] = item
        return tuple(seen) if len(self.issues) == before else INVALID

    def tags(self, field: Field, node: yaml.Node, path: str) -> Any:
        entries = self.mapping(node, path)
        if entries is None:
            return INVALID
        if len(entries) > field.max_items:
            message = f"has {len(entries)} tags; at most {field.max_items} allowed"
            self.error(node, f"{path}: {message}")
            return INVALID
        before = len(self.issues)
        tags = {name: self.scalar(Field(), e.value, e.path) for name, e in entries.items()}
        for name, value in tags.items():
            limit = MAX_TAG_LENGTH
            entry = entries[name]
            if not 1 <= len(name) <= limit:
                self.error(entry.key, f"{entry.path}: a tag name needs 1 to {limit} characters")
            elif len(str(value)) > limit:
                self.error(entry.value, f"{entry.path}: a tag value has at most {limit} characters")
        return MappingProxyType(tags) if len(self.issues) == before else INVALID
