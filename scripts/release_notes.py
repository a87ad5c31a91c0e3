"""Print the CHANGELOG.md section of a release tag: the GitHub release's notes.

Why a script: the release workflow must stop *before* publishing when the tag has no
changelog entry (a release nobody described), and the same extraction is tested.

    python scripts/release_notes.py v1.2.3 [CHANGELOG.md]

Sections are Keep a Changelog headings, ``## [1.2.3] - 2026-12-01``; the section runs
to the next ``## `` heading. Exit 1 with a message when the tag is not vX.Y.Z or has no
section, or the section is empty.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

TAG = re.compile(r"^v(?P<version>\d+\.\d+\.\d+(?:(?:a|b|rc)\d+)?)$")


def notes(tag: str, changelog: str) -> str:
    """Return the body of ``tag``'s section; ValueError says what is wrong."""
    match = TAG.match(tag)
    if not match:
        raise ValueError(f"tag {tag!r} is not vX.Y.Z")
    version = re.escape(match["version"])
    heading = re.compile(rf"^## \[?{version}\]?(?:\s|$)", re.MULTILINE)
    found = heading.search(changelog)
    if not found:
        raise ValueError(f"CHANGELOG.md has no '## [{match['version']}] - DATE' section")
    rest = changelog[found.end() :].split("\n", 1)[1] if "\n" in changelog[found.end() :] else ""
    following = re.search(r"^## ", rest, re.MULTILINE)
    body = (rest[: following.start()] if following else rest).strip()
    if not body:
        raise ValueError(f"CHANGELOG.md's section for {match['version']} is empty")
    return body + "\n"


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2):
        sys.stderr.write("usage: release_notes.py vX.Y.Z [CHANGELOG.md]\n")
        return 2
    path = Path(argv[1]) if len(argv) == 2 else Path(__file__).resolve().parents[1] / "CHANGELOG.md"
    try:
        sys.stdout.write(notes(argv[0], path.read_text(encoding="utf-8")))
    except ValueError as error:
        sys.stderr.write(f"release_notes: {error}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
