"""renewer: certificates as code for Azure (ACME DNS-01 into Key Vault).

The version comes from git tags (setuptools-scm, at build or install time) and is read
back from the installed distribution's metadata. A plain checkout run with
``PYTHONPATH`` (the composite action) has no metadata, and ``renewer --version`` must
still answer there, so it falls back to a version that says so.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _dist_version

FALLBACK_VERSION = "0.0.0+unknown"

try:
    __version__ = _dist_version("renewer")
except PackageNotFoundError:
    __version__ = FALLBACK_VERSION
