"""certificates.yaml is parsed by libyaml; what it refuses is said by PyYAML's pure loader.

``CSafeLoader`` builds the same node tree as the pure-Python ``SafeLoader``
(the same resolver, so the same tags; the same line:column marks, so the same
FILE:LINE:COL errors from every check that reads a node), several times
faster. Syntax errors are parsed again by the pure loader, whose messages the
files in tests/data/bad pin.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from renewer.config.loader import ConfigError, load_config

REPO = Path(__file__).resolve().parents[3]
FILES = sorted(
    [*(REPO / "tests" / "data" / "good").rglob("*.yaml"), *(REPO / "examples").rglob("*.yaml")]
)


def _shape(node: yaml.Node) -> object:
    """What the config checks read from a node: tag, value, start line:col (and the
    quoting style, which libyaml calls '' for plain scalars where PyYAML says None)."""
    mark = (node.start_mark.line, node.start_mark.column)
    if isinstance(node, yaml.ScalarNode):
        return (node.tag, node.value, node.style or None, mark)
    if isinstance(node, yaml.SequenceNode):
        return (node.tag, [_shape(n) for n in node.value], mark)
    assert isinstance(node, yaml.MappingNode)
    return (node.tag, [(_shape(k), _shape(v)) for k, v in node.value], mark)


def test_libyaml_is_there() -> None:
    assert yaml.__with_libyaml__  # PyYAML's wheels ship it; without it validate is slow


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_libyaml_builds_the_tree_the_pure_loader_builds(path: Path) -> None:
    text = path.read_text()
    fast = yaml.compose(text, Loader=yaml.CSafeLoader)
    assert fast is not None
    assert _shape(fast) == _shape(yaml.compose(text, Loader=yaml.SafeLoader))


def test_repeated_quoted_tagged_and_aliased_scalars_resolve_alike() -> None:
    text = (
        'a: [no, "no", \'no\', 1, "1", 1.5, ~, null, yes, on, 0x1f, 2024-01-01]\n'
        'b: {no: 1, "no": 2, ! no: 3, !!str 4: 5, name: 1_000}\n'
        "c: &x {k: [1, 2.5, null, true, '3']}\n"
        "d: *x\n"
        "? [p, q]\n"
        ": |\n  block\n"
    )
    fast = yaml.compose(text, Loader=yaml.CSafeLoader)
    assert fast is not None
    assert _shape(fast) == _shape(yaml.compose(text, Loader=yaml.SafeLoader))


def _error(tmp_path: Path, text: str) -> str:
    path = tmp_path / "certificates.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as raised:
        load_config(path, environ={})
    return str(raised.value)


def test_a_syntax_error_is_located_in_the_pure_loaders_words(tmp_path: Path) -> None:
    message = _error(tmp_path, "acme:\n  directory: [https://a\nstore: {}\n")
    pure = None
    try:
        yaml.compose("acme:\n  directory: [https://a\nstore: {}\n", Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        pure = exc
    assert pure is not None and pure.problem_mark is not None
    line, column = pure.problem_mark.line + 1, pure.problem_mark.column + 1
    assert f"certificates.yaml:{line}:{column}: YAML syntax error: " in message, message
    assert str(pure.problem) in message


def test_hostile_nesting_is_one_located_error_not_a_crash(tmp_path: Path) -> None:
    message = _error(tmp_path, "acme: " + "[" * 100_000 + "]" * 100_000 + "\n")
    assert "certificates.yaml:1:" in message
    assert "nested too deeply" in message or "YAML syntax error" in message, message
