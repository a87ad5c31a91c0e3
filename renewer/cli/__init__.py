"""Command line: click commands only; the use cases live in ``renewer.app``.

Commands are registered in :data:`renewer.cli.main.COMMANDS` and imported on
first use, so ``renewer --help`` and ``renewer validate`` stay light.
"""

from renewer.cli.main import main, run

__all__ = ["main", "run"]
