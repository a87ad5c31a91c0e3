"""What a store or DNS provider type module declares, and what its ``build`` may read."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from renewer.config.convert import Field
from renewer.core.settings import AzureSettings, BackendSettings, ProviderSettings


@dataclass(frozen=True)
class BuildContext:
    """Settings from outside the section that a type may need (today: the Azure cloud)."""

    azure: AzureSettings = field(default_factory=AzureSettings)


Built = ProviderSettings | BackendSettings
Builder = Callable[[Mapping[str, Any], BuildContext], Built]


@dataclass(frozen=True)
class SettingsType:
    """One ``dns.type`` or ``store.type`` value.

    ``fields``: the keys this type adds to its section (validated and
    converted by the loader before ``build`` sees them; ``build`` gets every
    one of them, defaults applied). ``sections``: nested tables its fields
    name in ``Field.section`` (rfc2136's ``tsig``). ``summary`` explains the
    type in one phrase, for the schema's ``type`` description;
    ``section_descriptions`` describe the nested tables there. ``open_keys``:
    a third-party provider's keys are its own, so any key the tables lack is
    accepted and checked with this field instead of reported as unknown.
    """

    kind: Literal["dns", "store"]
    name: str
    summary: str
    fields: Mapping[str, Field]
    build: Builder
    sections: Mapping[str, Mapping[str, Field]] = field(default_factory=dict)
    section_descriptions: Mapping[str, str] = field(default_factory=dict)
    open_keys: Field | None = None
