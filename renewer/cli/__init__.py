"""Command line: click commands only; the use cases live in ``renewer.app``.

Importing this package registers every command on :func:`main`.
"""

from renewer.cli import certificates, doctor, notify, reports, verify  # verify: issue 15
from renewer.cli.main import main

__all__ = ["certificates", "doctor", "main", "notify", "reports", "verify"]
