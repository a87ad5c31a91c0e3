"""Validators for the documented JSON forms (docs/*.schema.json), siblings resolved by $id."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource

DOCS = Path(__file__).parents[2] / "docs"


def schema_validator(name: str) -> jsonschema.Draft202012Validator:
    """A validator for docs/<name> that resolves its sibling schemas by $id."""
    resources = []
    for path in DOCS.glob("*.schema.json"):
        document = json.loads(path.read_text())
        resources.append((document["$id"], Resource.from_contents(document)))
    registry: Registry[Any] = Registry().with_resources(resources)
    schema = json.loads((DOCS / name).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, registry=registry)
