"""A factory named by a dotted path ("package.module:name"), imported when first used.

Extension points (notifiers today) name their implementation this way beside
their field table, so the table is the one place a type is declared and a
run imports only the implementations its configuration uses.
"""

from __future__ import annotations

import importlib
from typing import Any


def load(path: str) -> Any:
    """The object ``path`` names; ImportError/AttributeError name the path when it is wrong."""
    module, _, name = path.partition(":")
    if not module or not name:
        raise ValueError(f"{path!r} is not a 'package.module:name' path")
    return getattr(importlib.import_module(module), name)
