"""renewer: certificates as code for Azure (ACME DNS-01 into Key Vault).

The version comes from git tags (setuptools-scm, at build or install time). Why three
sources: a built wheel carries ``renewer/_version.py``; an installed distribution has
metadata; a plain checkout run with ``PYTHONPATH`` (the composite action) has neither,
and ``renewer --version`` must still answer there, so it falls back to a version that
says so.
"""

from __future__ import annotations

FALLBACK_VERSION = "0.0.0+unknown"


def _version() -> str:
    try:
        from renewer._version import version  # written by setuptools-scm

        return str(version)
    except ImportError:
        pass
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("renewer")
    except PackageNotFoundError:
        return FALLBACK_VERSION


__version__ = _version()
