"""Install a built wheel into a fresh virtual environment and run it, as a user would.

Why: a wheel can build and still be broken (a package-data file left out, an import
of something only the checkout has). Used by the release workflow before publishing
and by tests/integration/test_wheel.py:

    python scripts/check_wheel.py dist/renewer-X.Y.Z-py3-none-any.whl --venv DIR [--offline]

The venv gets the runtime closure from uv.lock (hash-checked, `--with-dev` adds the dev
extra, which the demo's test rig needs) and the wheel itself with --no-deps; then, from a
directory outside the checkout: `renewer --version`, `renewer --help`, `renewer
validate` on a copy of examples/local.yaml, and the JSON schema read from the installed
package. Prints the venv's python on the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCHEMA = "renewer/schema/certificates.schema.json"


def _run(argv: list[str], cwd: Path | None = None) -> str:
    print("$", " ".join(argv), flush=True)
    # No PYTHONPATH: nothing from a checkout may stand in for what the wheel installed.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(
            f"failed ({proc.returncode}): {' '.join(argv)}\n{proc.stdout}{proc.stderr}"
        )
    return proc.stdout + proc.stderr


def check(wheel: Path, venv: Path, *, offline: bool, with_dev: bool) -> Path:
    """Install ``wheel`` into a new ``venv``, run it; return the venv's python."""
    names = zipfile.ZipFile(wheel).namelist()
    if SCHEMA not in names:
        raise SystemExit(f"{wheel.name}: {SCHEMA} is not in the wheel")
    uv = [sys.executable, "-m", "uv"]
    net = ["--offline"] if offline else []
    shutil.rmtree(venv, ignore_errors=True)
    _run([*uv, "venv", "--quiet", "--python", sys.executable, str(venv)])
    python = venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        requirements = work / "requirements.txt"
        extras = ["--extra", "dev"] if with_dev else []
        _run(
            [
                *uv,
                "export",
                "--project",
                str(REPO),
                "--frozen",
                "--no-dev",
                *extras,
                "--no-emit-project",
                "--no-emit-package",
                "uv",
                "--quiet",
                "-o",
                str(requirements),
            ]
        )
        pip = [*uv, "pip", "install", "--quiet", "--python", str(python), *net]
        _run([*pip, "--require-hashes", "--no-deps", "-r", str(requirements)])
        _run([*pip, "--no-deps", str(wheel)])
        (work / "examples").mkdir()
        shutil.copy(REPO / "examples" / "local.yaml", work / "examples" / "local.yaml")
        where = _run([str(python), "-c", "import renewer; print(renewer.__file__)"], cwd=work)
        if str(REPO / "renewer") in where or str(venv) not in where:
            raise SystemExit(f"renewer imported from {where.strip()}, not from the wheel")
        version = _run([str(python), "-m", "renewer", "--version"], cwd=work)
        print(version.strip())
        if "version" not in version:
            raise SystemExit(f"renewer --version printed {version!r}")
        if "validate" not in _run([str(python), "-m", "renewer", "--help"], cwd=work):
            raise SystemExit("renewer --help lists no validate command")
        print(
            _run(
                [str(python), "-m", "renewer", "validate", "-c", "examples/local.yaml"], cwd=work
            ).strip()
        )
        schema = _run(
            [
                str(python),
                "-c",
                "import importlib.resources as r; "
                "print(r.files('renewer').joinpath('schema/certificates.schema.json')"
                ".read_text())",
            ],
            cwd=work,
        )
        if "properties" not in json.loads(schema):
            raise SystemExit("the installed schema has no properties")
    return python


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path)
    parser.add_argument("--venv", type=Path, required=True)
    parser.add_argument("--offline", action="store_true", help="install from uv's cache only")
    parser.add_argument("--with-dev", action="store_true", help="add the dev extra (the rig)")
    args = parser.parse_args()
    python = check(
        args.wheel.resolve(), args.venv.resolve(), offline=args.offline, with_dev=args.with_dev
    )
    print(f"wheel OK: {args.wheel.name}")
    print(python)
    return 0


if __name__ == "__main__":
    sys.exit(main())
