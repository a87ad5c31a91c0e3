"""A YAML node tree from libyaml's parser, built without recursion.

``validate`` of 50,000 certificates spent most of its 14 s in PyYAML's pure
Python scanner and parser. libyaml (``yaml.CSafeLoader``) parses the same text
several times faster, but its composer recurses in C: a document nested a
hundred thousand levels deep crashes the process instead of raising. So the
events come from libyaml and the tree is built here with an explicit stack;
the nodes, tags (the same resolver) and start marks are those PyYAML's own
composer makes.

This is only the fast path for well-formed files: :func:`compose` returns
None whenever the document is not plainly fine (a syntax error, an alias
problem, several documents, deep nesting, no libyaml), and the caller then
composes with the pure-Python loader, whose located messages are the ones
users see (and tests pin).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

# Deeper documents go to the pure-Python composer (which reports "nested too deeply").
MAX_DEPTH = 64
_MEMO_LENGTH = 32  # scalars up to this long have their resolved tag remembered


class _Fallback(Exception):
    """The document needs the pure-Python composer (its error message or its depth)."""


def available() -> bool:
    return bool(getattr(yaml, "__with_libyaml__", False)) and hasattr(yaml, "CSafeLoader")


def compose(text: str) -> Node | None:
    """The single document's root node; None when the slow path must decide."""
    if not available():
        return None
    parser = yaml.CSafeLoader(text)
    try:
        return _build(parser)
    except (_Fallback, yaml.YAMLError):
        return None
    finally:
        parser.dispose()


def _build(parser: yaml.CSafeLoader) -> Node | None:
    get = parser.get_event
    if not isinstance(get(), StreamStartEvent):
        raise _Fallback
    first = get()
    if isinstance(first, StreamEndEvent):
        return None  # empty file: the slow path words it
    if not isinstance(first, DocumentStartEvent):
        raise _Fallback
    root = _document(parser)
    if not isinstance(get(), DocumentEndEvent) or not isinstance(get(), StreamEndEvent):
        raise _Fallback  # several documents
    return root


def _document(parser: yaml.CSafeLoader) -> Node:
    """The root node of one document, from its events, with an explicit stack.

    libyaml's marks are its own class with the same ``line`` and ``column``
    (what the checks read); the type ignores below say only that.
    """
    get = parser.get_event
    resolve: Callable[[type[Node], str | None, Any], str] = parser.resolve
    plain = _plain_firsts(parser)
    text_tag: str = parser.DEFAULT_SCALAR_TAG
    # Without path resolvers (plain is not None) a tag depends on the scalar's text
    # and style alone, and a collection's is the default one: resolved once each.
    collection_tags = {
        MappingStartEvent: parser.DEFAULT_MAPPING_TAG,
        SequenceStartEvent: parser.DEFAULT_SEQUENCE_TAG,
    }
    resolved: dict[tuple[str, Any], str] = {}
    anchors: dict[str, Node] = {}
    # Each open collection: its node, its value list, and for a mapping the key
    # waiting for its value (None: none yet, or a sequence).
    stack: list[tuple[Node, list[Any], bool]] = []
    pending: list[Node | None] = []
    while True:
        event = get()
        node: Node
        if type(event) is ScalarEvent:
            tag, value = event.tag, event.value
            if tag is None or tag == "!":
                # No implicit resolver starts with this character: a string, as resolve says.
                if value and plain is not None and value[0] not in plain:
                    tag = text_tag
                elif plain is not None and len(value) <= _MEMO_LENGTH:
                    memo = (value, event.implicit)
                    tag = resolved.get(memo) or resolved.setdefault(
                        memo, resolve(ScalarNode, value, event.implicit)
                    )
                else:
                    tag = resolve(ScalarNode, value, event.implicit)
            start = event.start_mark
            # libyaml says "" for plain, PyYAML None. Nothing reads a scalar's end:
            # its start stands in (a mark less per value).
            node = ScalarNode(tag, value, start, start, event.style or None)  # type: ignore[arg-type]
            if event.anchor is not None:
                _anchor(anchors, event.anchor, node)
        elif type(event) is MappingStartEvent or type(event) is SequenceStartEvent:
            mapping = type(event) is MappingStartEvent
            cls = MappingNode if mapping else SequenceNode
            tag = event.tag
            if tag is None or tag == "!":
                tag = (
                    collection_tags[type(event)]
                    if plain is not None and event.implicit
                    else resolve(cls, None, event.implicit)
                )
            mark = event.start_mark
            node = cls(tag, [], mark, None, flow_style=event.flow_style)  # type: ignore[arg-type]
            if event.anchor is not None:
                _anchor(anchors, event.anchor, node)
            if len(stack) >= MAX_DEPTH:
                raise _Fallback
            stack.append((node, node.value, mapping))
            pending.append(None)
            continue
        elif type(event) is MappingEndEvent or type(event) is SequenceEndEvent:
            node = stack.pop()[0]
            if pending.pop() is not None:
                raise _Fallback
            node.end_mark = event.end_mark
        elif type(event) is AliasEvent:
            if event.anchor not in anchors:
                raise _Fallback  # undefined alias
            node = anchors[event.anchor]
        else:
            raise _Fallback
        if not stack:
            return node
        _, values, mapping = stack[-1]
        if not mapping:
            values.append(node)
        elif pending[-1] is None:
            pending[-1] = node
        else:
            values.append((pending[-1], node))
            pending[-1] = None


def _plain_firsts(parser: yaml.CSafeLoader) -> frozenset[str] | None:
    """First characters some implicit resolver looks at; None: resolve every scalar."""
    resolvers: dict[str | None, Any] = parser.yaml_implicit_resolvers
    if None in resolvers or getattr(parser, "yaml_path_resolvers", None):
        return None
    return frozenset(key for key in resolvers if key is not None)


def _anchor(anchors: dict[str, Node], name: str, node: Node) -> None:
    if name in anchors:
        raise _Fallback  # duplicate anchor
    anchors[name] = node
