"""renewer: certificates as code for Azure (ACME DNS-01 into Key Vault).

The version comes from git tags (setuptools-scm, at build or install time) and is read
back from the installed distribution's metadata. A plain checkout run with
``PYTHONPATH`` (the composite action) has no metadata, and ``renewer --version`` must
still answer there, so it falls back to a version that says so. It is read on first
use of ``renewer.__version__``: reading distribution metadata costs every command's
start-up a few ms (importlib.metadata, email), and only ``--version`` and ``init``
need it.
"""

from __future__ import annotations

FALLBACK_VERSION = "0.0.0+unknown"


def __getattr__(name: str) -> str:
    if name != "__version__":
        raise AttributeError(f"module 'renewer' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        found = dist_version("renewer")
    except PackageNotFoundError:
        found = FALLBACK_VERSION
    globals()["__version__"] = found  # read once
    return found
