"""The JSON Schema of certificates.yaml, generated from the field tables.

Editors (VS Code's YAML extension, JetBrains) complete and check a config
from ``renewer/schema/certificates.schema.json``; that file is exactly what
``renewer schema`` prints (a test compares them), so it can never drift from
what the loader accepts. The loader stays the authority: the schema cannot
say everything (an existing file, a set environment variable), and a value
it lets through may still be refused, with a located message, at load time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from renewer.config.convert import NUMBER, Field
from renewer.config.durations import UNITS
from renewer.config.fields import MAX_TAG_LENGTH, SECTIONS, TYPED, all_keys
from renewer.config.types import notifiers
from renewer.config.types.registry import TYPES

JsonObject = dict[str, Any]

TITLE = "renewer certificates.yaml"
DESCRIPTION = (
    "renewer configuration: the certificates to keep valid, where to order them (acme), how "
    "to answer DNS-01 (dns) and where to keep them (store)."
)
SECTION_DESCRIPTIONS = {
    "acme": "An ACME CA and the account to use with it.",
    "eab": "External account binding credentials, as env:NAME references (never literal secrets).",
    "store": "A certificate store. The allowed keys depend on `type`.",
    "dns": "A DNS-01 provider. The allowed keys depend on `type`.",
    "propagation": (
        "Propagation check: poll the authoritative servers until the TXT value is there. "
        "Never a fixed sleep."
    ),
    "defaults": "Defaults for every certificate.",
    "report": "Reporting on GitHub.",
    "azure": (
        "Which Azure cloud to sign in to and manage, shared by the Key Vault store and the "
        "Azure DNS provider; overrides serve emulators and private endpoints."
    ),
    "certificate": "One certificate.",
    "notify": notifiers.SECTION_DESCRIPTION,
}
_KIND_WORDS = {"dns": "DNS provider", "store": "store", "notify": "target"}
_NUMBER_RE = r"([0-9]+(\.[0-9]*)?|\.[0-9]+)"
_DURATION_RE = (
    rf"^\s*({_NUMBER_RE}|(?=[0-9.])"
    + "".join(f"({_NUMBER_RE}{unit})?" for unit in UNITS)
    + r")\s*$"
)
_COMMON: JsonObject = {
    "secret": {
        "description": (
            "A reference to an environment variable: env:NAME. Literal secrets are refused, "
            "and so are the runner's own credentials (GITHUB_*, ACTIONS_*, RUNNER_*, ...)."
        ),
        "type": "string",
        "pattern": r"^\s*env:[A-Za-z_][A-Za-z0-9_]*\s*$",
    },
    "duration": {
        "description": (
            "A duration: a number with a unit (w, d, h, m, s), parts may be combined (1d12h), "
            "or a plain number of seconds."
        ),
        "anyOf": [
            {"type": "string", "pattern": _DURATION_RE},
            {"type": "number", "exclusiveMinimum": 0},
        ],
    },
}


def _scalar(field: Field) -> JsonObject:
    """The schema of one scalar value (also a list's items)."""
    if field.secret:
        return {"$ref": "#/$defs/secret"}
    if field.accepts == NUMBER:
        return {"$ref": "#/$defs/duration"}
    if field.enum:
        return {"enum": list(field.enum)}
    if field.accepts == ("bool",):
        return {"type": "boolean"}
    if field.accepts == ("int",):
        return {"type": "integer"}
    value: JsonObject = {"type": "string", "minLength": 1}
    if field.pattern:
        value["pattern"] = field.pattern
    return value


def _value(field: Field) -> JsonObject:
    """The schema of a key's value, before "or null" for optional keys."""
    if field.schema:
        return dict(field.schema)
    if field.section == "acme" and field.shape in ("section", "override"):
        return _issuers(field)
    if field.shape == "section":
        return {"$ref": f"#/$defs/{field.section}"}
    if field.shape == "override":
        return {"$ref": f"#/$defs/{field.section}-override"}
    if field.shape == "sections":
        many: JsonObject = {"type": "array"}
        if field.min_items:
            many["minItems"] = field.min_items
        return {**many, "items": _ref(field.section)}
    if field.shape == "map":
        return {
            "type": "object",
            "maxProperties": field.max_items,
            "propertyNames": {"minLength": 1, "maxLength": MAX_TAG_LENGTH},
            "additionalProperties": {"type": "string", "maxLength": MAX_TAG_LENGTH},
        }
    if field.shape == "list":
        array: JsonObject = {"type": "array", "items": _scalar(field)}
        if field.min_items:
            array["minItems"] = field.min_items
        if field.max_items:
            array["maxItems"] = field.max_items
        if field.unique:
            array["uniqueItems"] = True
        return array
    return _scalar(field)


def _issuers(field: Field) -> JsonObject:
    """``acme``: one issuer (partial for a certificate), or a list of complete ones."""
    one = "acme-override" if field.shape == "override" else "acme"
    many: JsonObject = {
        "type": "array",
        "minItems": 1,
        "items": _ref("acme"),
        "description": "CAs tried in order: the next one when a CA is down, hung or "
        "rate-limited, never for a validation failure of the certificate's names.",
    }
    return {"anyOf": [_ref(one), many]}


def _ref(section: str) -> JsonObject:
    return {"$ref": f"#/$defs/{section}"}


def _property(field: Field) -> JsonObject:
    """A key: its description, its default, its value (or null when it may be left out)."""
    node: JsonObject = {"description": field.description} if field.description else {}
    if field.shape == "scalar" and field.default is not None:
        node["default"] = field.default
    elif field.shape == "list" and field.default:
        node["default"] = list(field.default)
    value = _value(field)
    if field.required:
        return {**node, **value}
    if list(value) == ["anyOf"]:
        return {**node, "anyOf": [*value["anyOf"], {"type": "null"}]}
    return {**node, "anyOf": [value, {"type": "null"}]}


def _properties(table: Mapping[str, Field]) -> JsonObject:
    return {name: _property(field) for name, field in table.items()}


def _required(table: Mapping[str, Field]) -> list[str]:
    return [name for name, field in table.items() if field.required]


def _object(description: str, table: Mapping[str, Field]) -> JsonObject:
    node: JsonObject = {"description": description, "type": "object"}
    node["properties"] = _properties(table)
    if required := _required(table):
        node["required"] = required
    return node


def _closed(description: str, table: Mapping[str, Field]) -> JsonObject:
    return {**_object(description, table), "additionalProperties": False}


def _typed(kind: str) -> JsonObject:
    """A section whose keys depend on ``type``: one if/then per type, nothing else allowed."""
    node = _object(SECTION_DESCRIPTIONS[kind], SECTIONS[kind])
    node["allOf"] = [
        {
            "if": {"properties": {"type": {"const": name}}, "required": ["type"]},
            "then": _ref(f"{kind}.{name}"),
        }
        for name in TYPED[kind]
    ]
    node["unevaluatedProperties"] = False
    return node


def _type_keys(kind: str, name: str) -> JsonObject:
    table = SECTIONS[f"{kind}.{name}"]
    node: JsonObject = {"description": f"Keys of the `{name}` {_KIND_WORDS[kind]}."}
    node["properties"] = _properties(table)
    if required := _required(table):
        node["required"] = required
    return node


def _override(kind: str) -> JsonObject:
    """A certificate's partial section: every key of every type, each pointing at its owner."""
    typed = kind in TYPED
    owners = {name: kind for name in SECTIONS[kind]}
    for type_name in TYPED.get(kind, ()):
        for name in SECTIONS[f"{kind}.{type_name}"]:
            owners.setdefault(name, f"{kind}.{type_name}")
    change = (
        " (a different `type` replaces the whole section, which must then be complete)"
        if typed
        else ""
    )
    return {
        "description": (
            f"Partial {kind} section for one certificate: the keys given replace the top-level "
            f"ones{change}. A key set to null is reset to its default."
        ),
        "type": ["object", "null"],
        "properties": {
            name: {"$ref": f"#/$defs/{owners[name]}/properties/{name}"} for name in all_keys(kind)
        },
        "additionalProperties": False,
    }


def _section_description(name: str) -> str:
    for types in TYPES.values():
        for settings_type in types.values():
            if name in settings_type.section_descriptions:
                return settings_type.section_descriptions[name]
    return SECTION_DESCRIPTIONS[name]


def document() -> JsonObject:
    """The whole schema, as a JSON-ready dict (definitions in the tables' order)."""
    defs: JsonObject = {}
    for name in SECTIONS:
        if name == "top" or "." in name:
            continue
        defs[name] = (
            _typed(name) if name in TYPED else _closed(_section_description(name), SECTIONS[name])
        )
        for type_name in TYPED.get(name, ()):
            defs[f"{name}.{type_name}"] = _type_keys(name, type_name)
    for field in SECTIONS["certificate"].values():
        if field.shape == "override":
            defs[f"{field.section}-override"] = _override(field.section)
    defs.update(_COMMON)
    top = SECTIONS["top"]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": TITLE,
        "description": DESCRIPTION,
        "type": "object",
        "properties": _properties(top),
        "required": _required(top),
        "additionalProperties": False,
        "patternProperties": {
            "^x-": {
                "description": (
                    "Ignored: a place for YAML anchors to reuse elsewhere (as in docker compose "
                    "files)."
                )
            }
        },
        "$defs": defs,
    }


def render() -> str:
    """The schema file's exact text (2-space indent, trailing newline)."""
    return json.dumps(document(), indent=2, ensure_ascii=False) + "\n"
