"""core.report_json: the report's types say what docs/report.schema.json says.

The TypedDicts are what the writers and readers of the report type-check
against; the schema is the published contract. A key made required in one and
optional (or missing) in the other would let mypy pass a report the schema
refuses, or the other way round.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NotRequired, get_origin, get_type_hints

import pytest

from renewer.core.report_json import (
    CertificateEntry,
    LockHolderEntry,
    OrphanEntry,
    PersistDomainEntry,
    PersistEntry,
    PersistServerEntry,
    ReportBody,
    Summary,
)

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[3] / "docs" / "report.schema.json").read_text()
)
_PROPERTIES = SCHEMA["properties"]
_PERSIST_DOMAIN = _PROPERTIES["persist"]["items"]["properties"]["domains"]["items"]

CASES: list[tuple[Any, dict[str, Any]]] = [
    (ReportBody, SCHEMA),
    (Summary, _PROPERTIES["summary"]),
    (CertificateEntry, _PROPERTIES["certificates"]["items"]),
    (LockHolderEntry, _PROPERTIES["certificates"]["items"]["properties"]["holder"]),
    (PersistEntry, _PROPERTIES["persist"]["items"]),
    (PersistDomainEntry, _PERSIST_DOMAIN),
    (PersistServerEntry, _PERSIST_DOMAIN["properties"]["servers"]["items"]),
    (OrphanEntry, _PROPERTIES["orphaned"]["items"]),
]


def required(typed: Any) -> set[str]:
    """The keys not marked NotRequired.

    Read from the resolved hints: the module's postponed annotations hide
    NotRequired from ``__required_keys__`` at run time (mypy sees it).
    """
    hints = get_type_hints(typed, include_extras=True)
    return {k for k, v in hints.items() if get_origin(v) is not NotRequired}


@pytest.mark.parametrize(("typed", "schema"), CASES, ids=[c[0].__name__ for c in CASES])
def test_required_keys_match_the_schema(typed: Any, schema: dict[str, Any]) -> None:
    assert sorted(required(typed)) == sorted(schema["required"])


@pytest.mark.parametrize(("typed", "schema"), CASES, ids=[c[0].__name__ for c in CASES])
def test_every_key_the_types_know_is_one_the_schema_allows(
    typed: Any, schema: dict[str, Any]
) -> None:
    if "properties" in schema:
        assert sorted(set(typed.__annotations__) - set(schema["properties"])) == []
        if schema.get("additionalProperties") is False:
            assert sorted(set(schema["properties"]) - set(typed.__annotations__)) == []
    else:  # a map of counts: every count the types name is an integer
        assert schema["additionalProperties"]["type"] == "integer"
