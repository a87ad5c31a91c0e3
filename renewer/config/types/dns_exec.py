"""DNS type ``exec``: a user's program, called like lego's exec provider."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from renewer.config.convert import NUMBER, SECONDS, Context, Field, existing_file
from renewer.config.types.base import BuildContext, SettingsType
from renewer.core.settings import ProviderSettings


@dataclass(frozen=True)
class ExecSettings(ProviderSettings):
    program: Path  # absolute: resolved against the config file's folder
    timeout: float = 60.0


def _program(value: str, ctx: Context) -> Path:
    """An existing, executable file; relative to the config file, like every path."""
    path = existing_file(value, ctx)
    if not os.access(path, os.X_OK):
        raise ValueError(f"file {str(path)[-80:]!r} is not executable (chmod +x it)")
    return path


FIELDS = {
    "program": Field(
        convert=_program,
        required=True,
        description=(
            "Program run as `PROGRAM present|cleanup FQDN VALUE` (lego's exec convention); "
            "relative to the config file."
        ),
    ),
    "timeout": Field(
        convert=SECONDS,
        accepts=NUMBER,
        default=60.0,
        description="Kill the program's process group after this long (default 60s).",
        schema={"$ref": "#/$defs/duration"},
    ),
}


def build(values: Mapping[str, Any], ctx: BuildContext) -> ExecSettings:
    return ExecSettings(values["program"], float(values["timeout"] or 60.0))


TYPE = SettingsType("dns", "exec", "a program of yours (lego's exec convention)", FIELDS, build)
