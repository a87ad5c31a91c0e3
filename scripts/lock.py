"""Read uv.lock (the project's one lock, made by `uv lock`) without uv installed.

Why: installing from the lock needs uv, and uv itself must come from the lock, checked
by hash, before it exists (pip --require-hashes). ``uv-requirement`` prints a pip
requirements line for the locked uv with the sha256 of every wheel the lock lists, so
scripts/venv.sh, action.yml and the release workflow bootstrap it the same way:

    python scripts/lock.py uv-requirement > uv.txt
    python -m pip install --require-hashes --no-deps -r uv.txt

Standard library only (tomllib: Python >= 3.11, the project's minimum).
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

LOCK = Path(__file__).resolve().parents[1] / "uv.lock"


def requirement(name: str, lock: Path = LOCK) -> str:
    """Return ``name==version --hash=sha256:...`` for every wheel of ``name`` in the lock."""
    data = tomllib.loads(lock.read_text(encoding="utf-8"))
    for package in data.get("package", []):
        if package.get("name") == name:
            hashes = [wheel["hash"] for wheel in package.get("wheels", [])]
            if not hashes:
                raise SystemExit(f"{lock}: {name} has no wheels with hashes")
            lines = [f"{name}=={package['version']}"] + [f"--hash={h}" for h in hashes]
            return " \\\n    ".join(lines) + "\n"
    raise SystemExit(f"{lock}: no package {name!r}; add it to pyproject.toml and run `make lock`")


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "requirement":
        sys.stdout.write(requirement(argv[1]))
        return 0
    if argv == ["uv-requirement"]:
        sys.stdout.write(requirement("uv"))
        return 0
    sys.stderr.write("usage: lock.py uv-requirement | lock.py requirement NAME\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
