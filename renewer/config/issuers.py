"""``acme:`` as one issuer (a mapping, as always) or an ordered list of them.

A list names fallback CAs: a certificate goes to the next one only when the
one before failed in a way another CA can fix (renewer.execute.fallback).
The top-level value applies to every certificate. A certificate's own
``acme:`` is either a list (its own issuers, each complete) or a mapping whose
keys replace those of the first top-level issuer, the others staying its
fallbacks (so a one-CA file behaves exactly as before). Each CA is listed
once: a second entry for the same directory would only ask it twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import yaml

from renewer.config.convert import Field
from renewer.config.fields import SECTIONS
from renewer.config.nodes import Entry, Source, is_null, kind_of
from renewer.core.settings import AcmeSettings


class Sections(Protocol):
    """The loader's side: reporting, reading mappings, building and merging sections."""

    def error(self, node: yaml.Node, message: str) -> None: ...
    def mapping(self, node: yaml.Node, where: str) -> dict[str, Entry] | None: ...
    def get(self, source: Source, table: Mapping[str, Field], name: str, what: str = "") -> Any: ...
    def build(self, kind: str, source: Source | None) -> Any: ...
    def override(self, kind: str, base: Source | None, entry: Entry) -> Source | None: ...


@dataclass(frozen=True)
class Issuers:
    """The top-level issuers: their sources (a certificate's mapping merges onto the
    first) and what they built (None when any of them is invalid)."""

    sources: tuple[Source, ...] = ()
    built: tuple[AcmeSettings, ...] | None = None


def top_issuers(checker: Sections, top: Source) -> Issuers:
    """The top-level ``acme`` section: a mapping or a non-empty list of mappings."""
    entry = top.entries.get("acme")
    if entry is None:
        checker.get(top, SECTIONS["top"], "acme")  # reports the missing section
        return Issuers()
    sources = _sources(checker, entry)
    if sources is None:
        return Issuers()
    built = _build_all(checker, sources)
    return Issuers(tuple(s for s in sources if s is not None), built)


def certificate_issuers(checker: Sections, entry: Entry | None, top: Issuers) -> dict[str, Any]:
    """A certificate's ``acme`` and ``fallbacks`` (``acme`` None: invalid, reported).

    Absent: the top-level issuers. A list replaces them; a mapping tunes the first.
    """
    issuers = top.built
    if entry is not None and isinstance(entry.value, yaml.SequenceNode):
        sources = _sources(checker, entry)
        issuers = None if sources is None else _build_all(checker, sources)
    elif entry is not None and not is_null(entry.value):
        base = top.sources[0] if top.sources else None
        first = checker.build("acme", checker.override("acme", base, entry))
        # A fallback that names the CA this certificate now asks first adds nothing.
        rest = (i for i in (top.built or ())[1:] if first is None or i.directory != first.directory)
        issuers = None if first is None or top.built is None else (first, *rest)
    if not issuers:
        return {"acme": None, "fallbacks": ()}
    return {"acme": issuers[0], "fallbacks": issuers[1:]}


def _sources(checker: Sections, entry: Entry) -> list[Source | None] | None:
    """One Source per issuer (None where an item is not a mapping, which is reported)."""
    node, path = entry.value, entry.path
    if isinstance(node, yaml.MappingNode):
        entries = checker.mapping(node, path)
        return None if entries is None else [Source(entries, node, path)]
    if not isinstance(node, yaml.SequenceNode):
        checker.error(
            node, f"{path}: expected a mapping or a list of mappings, got {kind_of(node)}"
        )
        return None
    if not node.value:
        checker.error(node, f"{path}: the list of issuers is empty; name at least one CA")
        return None
    found: list[Source | None] = []
    for index, item in enumerate(node.value):
        where = f"{path}[{index}]"
        entries = checker.mapping(item, where)
        found.append(None if entries is None else Source(entries, item, where))
    return found


def _build_all(checker: Sections, sources: list[Source | None]) -> tuple[AcmeSettings, ...] | None:
    """Every issuer built, each CA once; None when any is invalid (all reported)."""
    built = [checker.build("acme", s) if s is not None else None for s in sources]
    seen: dict[str, str] = {}
    valid = True
    for source, issuer in zip(sources, built, strict=True):
        if source is None or issuer is None:
            valid = False
            continue
        first = seen.setdefault(issuer.directory, source.where)
        if first != source.where:
            found = source.entries.get("directory")
            node = found.value if found is not None else source.node
            checker.error(
                node, f"{source.where}.directory: the same CA as {first}; list each CA once"
            )
            valid = False
    return tuple(i for i in built if i is not None) if valid else None
