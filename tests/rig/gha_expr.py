"""GitHub Actions expressions, evaluated as the runner evaluates them (no real runner here).

The workflows and action.yml decide with ``if:`` conditions which job and which step
runs for which event and input. Reading them is how a composite step that admitted a
command it could not handle went unnoticed; evaluating them is how the tests find it.

Modelled on GitHub's documentation "Evaluate expressions in workflows and actions"
(docs.github.com/en/actions/reference/workflows-and-actions/expressions):

- literals ``null``, ``true``, ``false``, numbers, strings in single quotes (``''`` escapes);
- operators, by precedence: ``( )``, ``[ ]`` and ``.`` (a missing property is null),
  ``!``, ``< <= > >=``, ``== !=``, ``&&``, ``||``; ``&&`` and ``||`` return an operand;
- loose equality: operands of different types are compared as numbers; strings compare
  case-insensitively;
- falsy: null, false, 0, -0, NaN and ''; everything else (arrays and objects too) truthy;
- functions: contains, startsWith, endsWith, format, join, toJSON, fromJSON, hashFiles and
  the status checks success, always, cancelled, failure (their answers come from the caller).

An ``if:`` with no status check is ``success() && (...)``; ``${{ }}`` may be omitted there.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

_TOKEN = re.compile(
    r"\s*(?:(?P<num>0x[0-9a-fA-F]+|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)"
    r"|(?P<str>'(?:[^']|'')*')"
    r"|(?P<op>==|!=|<=|>=|&&|\|\||[!<>()\[\],.*])"
    r"|(?P<name>[A-Za-z_][\w-]*))"
)
STATUS_FUNCTIONS = ("success", "always", "cancelled", "failure")
_TEMPLATE = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)


class ExpressionError(ValueError):
    """The text is not an expression GitHub would accept."""


@dataclass
class Status:
    """What the status-check functions answer where the expression is evaluated."""

    success: bool = True
    failure: bool = False
    cancelled: bool = False


@dataclass
class Context:
    """The named contexts (inputs, github, needs, matrix, steps, vars, …) and helpers."""

    values: Mapping[str, Any]
    status: Status = field(default_factory=Status)
    hash_files: Callable[[list[str]], str] = lambda patterns: ""


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ExpressionError(f"cannot read {text[pos:]!r} in {text!r}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


def truthy(value: Any) -> bool:
    if value is None or value is False:
        return False
    if isinstance(value, int | float) and not isinstance(value, bool):
        return not (value == 0 or math.isnan(value))
    if isinstance(value, str):
        return value != ""
    return True


def _number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if text == "":
            return 0.0
        try:
            return float(int(text, 16)) if text.lower().startswith("0x") else float(text)
        except ValueError:
            return math.nan
    return math.nan


def _equal(left: Any, right: Any) -> bool:
    if type(left) is type(right) or (
        isinstance(left, int | float)
        and isinstance(right, int | float)
        and not isinstance(left, bool)
        and not isinstance(right, bool)
    ):
        if isinstance(left, str):
            return left.lower() == str(right).lower()
        if isinstance(left, dict | list):
            return left is right
        return bool(left == right)
    if isinstance(left, dict | list) or isinstance(right, dict | list):
        return False
    return _number(left) == _number(right)


def to_string(value: Any) -> str:
    """How a value is written into a string (``${{ }}`` inside a longer text)."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict | list):
        return json.dumps(value, indent=2)
    return str(value)


class _Parser:
    def __init__(self, text: str, context: Context) -> None:
        self.tokens = _tokens(text)
        self.pos = 0
        self.context = context
        self.text = text

    def peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise ExpressionError(f"unexpected end of {self.text!r}")
        token = self.tokens[self.pos]
        if expected is not None and token[1] != expected:
            raise ExpressionError(f"expected {expected!r}, got {token[1]!r} in {self.text!r}")
        self.pos += 1
        return token

    def parse(self) -> Any:
        value = self.or_()
        if self.pos != len(self.tokens):
            raise ExpressionError(f"unexpected {self.peek()!r} in {self.text!r}")
        return value

    def or_(self) -> Any:
        value = self.and_()
        while self.peek() == "||":
            self.take()
            right = self.and_()
            value = value if truthy(value) else right
        return value

    def and_(self) -> Any:
        value = self.equality()
        while self.peek() == "&&":
            self.take()
            right = self.equality()
            value = right if truthy(value) else value
        return value

    def equality(self) -> Any:
        value = self.comparison()
        while self.peek() in ("==", "!="):
            op = self.take()[1]
            right = self.comparison()
            value = _equal(value, right) if op == "==" else not _equal(value, right)
        return value

    def comparison(self) -> Any:
        value = self.unary()
        while self.peek() in ("<", "<=", ">", ">="):
            op = self.take()[1]
            right = self.unary()
            if isinstance(value, str) and isinstance(right, str):
                a: Any = value.lower()
                b: Any = right.lower()
            else:
                a, b = _number(value), _number(right)
            value = {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
        return value

    def unary(self) -> Any:
        if self.peek() == "!":
            self.take()
            return not truthy(self.unary())
        return self.postfix()

    def postfix(self) -> Any:
        value = self.primary()
        while self.peek() in (".", "["):
            if self.take()[1] == ".":
                kind, name = self.take()
                if name == "*":
                    value = list(value.values()) if isinstance(value, dict) else value
                    continue
                if kind != "name":
                    raise ExpressionError(f"property name expected in {self.text!r}")
                value = _member(value, name)
            else:
                key = self.or_()
                self.take("]")
                value = _member(value, key)
        return value

    def primary(self) -> Any:
        kind, text = self.take()
        if kind == "num":
            number = float(int(text, 16)) if text.lower().startswith("0x") else float(text)
            return int(number) if number.is_integer() else number
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if text == "(":
            value = self.or_()
            self.take(")")
            return value
        if kind != "name":
            raise ExpressionError(f"unexpected {text!r} in {self.text!r}")
        if text in ("true", "false"):
            return text == "true"
        if text == "null":
            return None
        if self.peek() == "(":
            return self.call(text)
        if text not in self.context.values:
            raise ExpressionError(f"unknown context {text!r} in {self.text!r}")
        return self.context.values[text]

    def call(self, name: str) -> Any:
        self.take("(")
        args: list[Any] = []
        while self.peek() != ")":
            args.append(self.or_())
            if self.peek() == ",":
                self.take()
        self.take(")")
        return _call(name.lower(), args, self.context)


def _member(value: Any, key: Any) -> Any:
    if isinstance(value, dict):
        for name, item in value.items():
            if str(name).lower() == str(key).lower():
                return item
        return None
    if isinstance(value, list) and isinstance(key, int | float) and not isinstance(key, bool):
        index = int(key)
        return value[index] if 0 <= index < len(value) else None
    return None


def _call(name: str, args: list[Any], context: Context) -> Any:
    status = context.status
    if name == "success":
        return status.success and not status.cancelled
    if name == "failure":
        return status.failure
    if name == "cancelled":
        return status.cancelled
    if name == "always":
        return True
    if name == "contains":
        haystack, needle = args
        if isinstance(haystack, list):
            return any(_equal(item, needle) for item in haystack)
        return to_string(needle).lower() in to_string(haystack).lower()
    if name == "startswith":
        return to_string(args[0]).lower().startswith(to_string(args[1]).lower())
    if name == "endswith":
        return to_string(args[0]).lower().endswith(to_string(args[1]).lower())
    if name == "format":
        text = to_string(args[0])
        for index, arg in enumerate(args[1:]):
            text = text.replace("{" + str(index) + "}", to_string(arg))
        return text.replace("{{", "{").replace("}}", "}")
    if name == "join":
        items = args[0] if isinstance(args[0], list) else [args[0]]
        return (to_string(args[1]) if len(args) > 1 else ",").join(map(to_string, items))
    if name == "tojson":
        return json.dumps(args[0], indent=2)
    if name == "fromjson":
        try:
            return json.loads(to_string(args[0]))
        except ValueError as error:  # the runner fails the job here too
            raise ExpressionError(f"fromJSON: {error}") from None
    if name == "hashfiles":
        return context.hash_files([to_string(a) for a in args])
    raise ExpressionError(f"unknown function {name}()")


def evaluate(text: str, context: Context) -> Any:
    """The value of one expression (without ``${{ }}``)."""
    return _Parser(text, context).parse()


def interpolate(value: Any, context: Context) -> Any:
    """A ``with:``/``env:`` value: one whole ``${{ }}`` keeps its type, else a string."""
    if not isinstance(value, str):
        return value
    whole = _TEMPLATE.fullmatch(value.strip())
    if whole and value.strip().count("${{") == 1:
        return evaluate(whole.group(1), context)
    return _TEMPLATE.sub(lambda m: to_string(evaluate(m.group(1), context)), value)


def condition(text: Any, context: Context) -> bool:
    """An ``if:``: ``${{ }}`` optional; without a status check it is ``success() && (…)``."""
    if text is None or text == "":
        return bool(context.status.success and not context.status.cancelled)
    if isinstance(text, bool):
        return text
    source = str(text).strip()
    whole = _TEMPLATE.fullmatch(source)
    if whole:
        source = whole.group(1).strip()
    if not any(re.search(rf"\b{name}\s*\(", source) for name in STATUS_FUNCTIONS):
        source = f"success() && ({source})"
    return truthy(evaluate(source, context))
