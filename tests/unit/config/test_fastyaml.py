"""libyaml's fast path builds the very tree PyYAML's composer builds (issue 17)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from renewer.config import fastyaml

REPO = Path(__file__).resolve().parents[3]
FILES = sorted(
    [*(REPO / "tests" / "data" / "good").rglob("*.yaml"), *(REPO / "examples").rglob("*.yaml")]
)


def _shape(node: yaml.Node) -> object:
    """Everything the config checks read from a node: tag, value, style, start line:col."""
    mark = (node.start_mark.line, node.start_mark.column)
    if isinstance(node, yaml.ScalarNode):
        return (node.tag, node.value, node.style, mark)
    if isinstance(node, yaml.SequenceNode):
        return (node.tag, [_shape(n) for n in node.value], mark)
    assert isinstance(node, yaml.MappingNode)
    return (node.tag, [(_shape(k), _shape(v)) for k, v in node.value], mark)


def test_libyaml_is_there() -> None:
    assert fastyaml.available()  # PyYAML's wheels ship it; without it validate is slow


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_same_tree_as_pyyaml(path: Path) -> None:
    text = path.read_text()
    fast = fastyaml.compose(text)
    assert fast is not None
    assert _shape(fast) == _shape(yaml.compose(text, Loader=yaml.SafeLoader))


def test_anchors_aliases_tags_and_complex_keys() -> None:
    text = (
        "a: &x {k: [1, 2.5, null, true, '3']}\nb: *x\nc: !!str 12\n? [p, q]\n: |\n  block\nd: ~\n"
    )
    fast = fastyaml.compose(text)
    assert fast is not None
    assert _shape(fast) == _shape(yaml.compose(text, Loader=yaml.SafeLoader))


@pytest.mark.parametrize(
    "text",
    [
        "a: [1, 2\n",  # syntax error
        "a: *missing\n",  # undefined alias
        "a: &x 1\nb: &x 2\n",  # duplicate anchor
        "a: 1\n---\nb: 2\n",  # two documents
        "",  # empty
        "a: " + "[" * 100_000 + "]" * 100_000 + "\n",  # libyaml's composer would crash
    ],
)
def test_anything_doubtful_goes_to_the_pure_python_loader(text: str) -> None:
    assert fastyaml.compose(text) is None


# Tags remembered per (text, style) and the collections' default tags (issue 17): the
# same scalars quoted and plain, repeated, tagged, and long ones, all as PyYAML says.
REPEATED = """\
a: [no, "no", 'no', no, 1, "1", 1, 1.5, ~, null, "null", null, yes, on, 0x1f, 2024-01-01]
b: {no: 1, "no": 2, ! no: 3, !!str 4: 5, name: n, name2: 1_000}
c: !!seq [1, "1", ! 1]
d: !!map {x: 1}
e: 123456789012345678901234567890123456789
f: [123456789012345678901234567890123456789, "123456789012345678901234567890123456789"]
g:
  - name: no
  - name: "no"
  - ! name: 1
"""


def test_remembered_tags_match_pyyaml_for_repeated_scalars() -> None:
    fast = fastyaml.compose(REPEATED)
    assert fast is not None
    assert _shape(fast) == _shape(yaml.compose(REPEATED, Loader=yaml.SafeLoader))
