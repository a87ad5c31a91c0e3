"""Command line: click commands only; the use cases live in ``renewer.app``.

Importing this package registers every command on :func:`main`.
"""

from renewer.cli import azure, certificates, doctor, init, notify, reports, verify
from renewer.cli.main import main

__all__ = ["azure", "certificates", "doctor", "init", "main", "notify", "reports", "verify"]
