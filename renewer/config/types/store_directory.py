"""Store type ``directory``: a local folder (tests, the local rig, simple hosts)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from renewer.config.convert import Field, path
from renewer.config.types.base import BuildContext, SettingsType
from renewer.core.settings import BackendSettings


@dataclass(frozen=True)
class DirectorySettings(BackendSettings):
    path: Path  # absolute: resolved against the config file's folder


FIELDS = {
    "path": Field(
        convert=path,
        default=".local/certs",
        description="Folder for certificates, relative to this file (default .local/certs).",
    ),
}


def build(values: Mapping[str, Any], ctx: BuildContext) -> DirectorySettings:
    return DirectorySettings(values["path"])


TYPE = SettingsType("store", "directory", "a local folder", FIELDS, build)
