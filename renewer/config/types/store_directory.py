"""Store type ``directory``: a local folder (tests, the local rig, simple hosts)."""

from __future__ import annotations

from pathlib import Path

from renewer.config.convert import path
from renewer.config.types.base import SettingsType, setting, settings
from renewer.core.settings import BackendSettings


@settings
class DirectorySettings(BackendSettings):
    path: Path = setting(  # absolute: resolved against the config file's folder
        written=".local/certs",
        convert=path,
        description="Folder for certificates, relative to this file (default .local/certs).",
    )


TYPE = SettingsType(
    "store",
    "directory",
    "a local folder",
    DirectorySettings,
    "renewer.stores.directory:DirectoryStore",
)
