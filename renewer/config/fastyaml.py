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
    anchors: dict[str, Node] = {}
    # Each open collection, and for a mapping the key waiting for its value.
    stack: list[tuple[Node, list[Node]]] = []
    scalar_tags: dict[tuple[str, tuple[bool, bool]], str] = {}
    while True:
        event = get()
        node: Node
        if isinstance(event, ScalarEvent):
            tag = event.tag
            if tag is None or tag == "!":
                key = (event.value, event.implicit)
                tag = scalar_tags.get(key)
                if tag is None:
                    tag = scalar_tags[key] = resolve(ScalarNode, event.value, event.implicit)
            start = event.start_mark
            style = event.style or None  # libyaml says "" for plain, PyYAML None
            # Nothing reads a scalar's end: its start stands in (a mark less per value).
            node = ScalarNode(tag, event.value, start, start, style)  # type: ignore[arg-type]
            if event.anchor is not None:
                _anchor(anchors, event.anchor, node)
        elif isinstance(event, (MappingStartEvent, SequenceStartEvent)):
            cls = MappingNode if isinstance(event, MappingStartEvent) else SequenceNode
            tag = event.tag
            if tag is None or tag == "!":
                tag = resolve(cls, None, event.implicit)
            mark = event.start_mark
            node = cls(tag, [], mark, None, flow_style=event.flow_style)  # type: ignore[arg-type]
            if event.anchor is not None:
                _anchor(anchors, event.anchor, node)
            if len(stack) >= MAX_DEPTH:
                raise _Fallback
            stack.append((node, []))
            continue
        elif isinstance(event, (MappingEndEvent, SequenceEndEvent)):
            node, pending = stack.pop()
            if pending:
                raise _Fallback
            node.end_mark = event.end_mark
        elif isinstance(event, AliasEvent):
            if event.anchor not in anchors:
                raise _Fallback  # undefined alias
            node = anchors[event.anchor]
        else:
            raise _Fallback
        if not stack:
            return node
        parent, pending = stack[-1]
        if isinstance(parent, MappingNode):
            if pending:
                parent.value.append((pending.pop(), node))
            else:
                pending.append(node)
        else:
            parent.value.append(node)


def _anchor(anchors: dict[str, Node], name: str, node: Node) -> None:
    if name in anchors:
        raise _Fallback  # duplicate anchor
    anchors[name] = node
