"""Split one inventory across N parallel jobs (``--shard I/N``).

A certificate belongs to shard ``sha256(lower(name)) mod N + 1``: stable
across runs, machines and Python versions (unlike ``hash()``), independent of
the order in certificates.yaml, and it moves only when N changes. The inverse,
merging the shards' reports, is ``renewer.report.merge``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from renewer.core.errors import RenewerError

MAX_SHARDS = 256
_SPEC = re.compile(r"\s*([0-9]{1,6})\s*/\s*([0-9]{1,6})\s*", re.ASCII)  # ASCII digits only


class ShardError(RenewerError, ValueError):
    """A ``--shard`` value that is not I/N with 1 <= I <= N."""


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def contains(self, name: str) -> bool:
        return shard_of(name, self.count) == self.index


def parse_shard(text: str) -> Shard:
    """``"2/7"`` -> Shard(2, 7); anything else raises ShardError with one clear line."""
    match = _SPEC.fullmatch(text)
    if not match:
        raise ShardError(f"--shard {text!r}: expected I/N, e.g. 2/7")
    index, count = int(match.group(1)), int(match.group(2))
    if not 1 <= count <= MAX_SHARDS:
        raise ShardError(f"--shard {text!r}: N must be between 1 and {MAX_SHARDS}")
    if not 1 <= index <= count:
        raise ShardError(f"--shard {text!r}: I must be between 1 and N ({count})")
    return Shard(index, count)


def shard_of(name: str, count: int) -> int:
    """The 1-based shard of certificate ``name`` among ``count`` shards."""
    digest = hashlib.sha256(name.lower().encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def split(names: Iterable[str], shard: Shard) -> list[str]:
    return [name for name in names if shard.contains(name)]
