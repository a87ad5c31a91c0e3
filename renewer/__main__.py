"""``python -m renewer`` runs the CLI (same as the ``renewer`` console script)."""

from renewer.cli.main import run

run()
