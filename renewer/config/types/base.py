"""What a store, DNS provider or notifier type module declares, and how it is built.

A type's settings class is its field table: each attribute is declared with
:func:`setting`, which holds the key's check (a :class:`Field`) and its default
in one place. :func:`fields_of` reads the table back for the loader, the
unknown-key hints and the JSON Schema; :func:`build` fills the class from the
loader's values, so no type writes code to copy its keys into its settings.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal, TypeVar, dataclass_transform

from renewer.config.convert import Field
from renewer.core.settings import AzureSettings, PropagationSettings

T = TypeVar("T")
Kind = Literal["dns", "store", "notify"]


def setting(
    *,
    like: Field | None = None,
    default: Any = dataclasses.MISSING,
    written: str | None = None,
    key: str | None = None,
    identity: bool = True,
    **check: Any,
) -> Any:
    """One key of a type: the settings attribute, its check and its default, declared once.

    ``default``: the attribute's default, which is also the YAML default (a key
    without one is required). ``written``: a default as the user would write it,
    converted at load (a path relative to the config file); the attribute then
    has no default of its own. ``key``: the YAML key when it cannot be the
    attribute's name (``from``). ``identity=False``: a key added after the DNS
    journal named its entries, which names no record. ``check``: the rest of
    :class:`Field` (converter, accepted kinds, enum, description...), on top of
    ``like`` when given (one of the shared fields of ``renewer.config.convert``:
    ``SECRET``, ``CREDENTIAL_URL``...).
    """
    has_default = default is not dataclasses.MISSING
    spec = dataclasses.replace(
        like or Field(),
        required=not has_default and written is None,
        default=written if written is not None else (default if has_default else None),
        **check,
    )
    metadata: dict[str, Any] = {"setting": spec, "key": key}
    if not identity:
        metadata["dns_identity"] = False
    if has_default:
        return dataclasses.field(default=default, metadata=metadata)
    return dataclasses.field(metadata=metadata)


@dataclass_transform(frozen_default=True, field_specifiers=(setting, dataclasses.field))
def settings(cls: type[T]) -> type[T]:
    """A type's settings class: frozen and hashable (one client per distinct value)."""
    return dataclasses.dataclass(frozen=True)(cls)


def fields_of(cls: type) -> dict[str, Field]:
    """The field table of a settings class, by YAML key, in declaration order."""
    return {
        item.metadata["key"] or item.name: item.metadata["setting"]
        for item in dataclasses.fields(cls)
        if "setting" in item.metadata
    }


@dataclass(frozen=True)
class BuildContext:
    """Settings from outside the section that a type may take, by attribute name.

    A settings attribute declared without :func:`setting` (``azure``) is filled
    from here.
    """

    azure: AzureSettings = field(default_factory=AzureSettings)
    propagation: PropagationSettings = field(default_factory=PropagationSettings)


def build(
    cls: type[T],
    values: Mapping[str, Any],
    ctx: BuildContext,
    sections: Mapping[str, type] | None = None,
) -> T:
    """``cls`` from the loader's values (every key present, defaults applied).

    A nested table (``tsig``) becomes its own settings class, named in ``sections``.
    """
    args: dict[str, Any] = {}
    for item in dataclasses.fields(cls):  # type: ignore[arg-type]
        spec: Field | None = item.metadata.get("setting")
        if spec is None:
            if hasattr(ctx, item.name):
                args[item.name] = getattr(ctx, item.name)
            continue
        value = values[item.metadata["key"] or item.name]
        if spec.shape == "section" and value is not None and sections:
            value = build(sections[spec.section], value, ctx, sections)
        elif spec.shape == "list" and value is not None:
            value = tuple(value)
        args[item.name] = value
    return cls(**args)


Builder = Callable[[Mapping[str, Any], BuildContext], Any]


@dataclass(frozen=True)
class DnsAbout:
    """What the provider tables of README.md and docs/dns-providers.md say of a DNS type.

    Those tables are generated from these (``python -m renewer.config.doctables``).
    """

    serves: str
    credentials: str
    writes_through: str
    safety: str  # how one value is added or removed without touching another's
    tested_against: str


@dataclass(frozen=True)
class SettingsType:
    """One ``dns.type``, ``store.type`` or ``notify.type`` value.

    ``settings``: its settings class (the field table, see :func:`setting`).
    ``factory``: "package.module:name" of what builds the provider, store or
    notifier from those settings (imported only when a section of this type is
    used). ``summary`` explains the type in one phrase, for the schema, the
    docs' tables and the ``type`` key's description. ``sections``: nested
    tables by name (rfc2136's ``tsig``) and their settings classes;
    ``section_descriptions`` describe them in the schema. ``build``: only
    where the class takes more than its keys and the context. ``open_keys``: a
    third-party provider's keys are its own, so any key the table lacks is
    accepted and checked with this field instead of reported as unknown.
    ``about``: a DNS type's row in the docs' provider tables.
    """

    kind: Kind
    name: str
    summary: str
    settings: type
    factory: str
    sections: Mapping[str, type] = field(default_factory=dict)
    section_descriptions: Mapping[str, str] = field(default_factory=dict)
    custom_build: Builder | None = None
    open_keys: Field | None = None
    fixed_fields: Mapping[str, Field] | None = None
    about: DnsAbout | None = None

    @cached_property
    def fields(self) -> dict[str, Field]:
        """This type's own keys (the kind's common keys, ``type`` and the rest, excluded)."""
        if self.fixed_fields is not None:
            return dict(self.fixed_fields)
        return fields_of(self.settings)

    def section_tables(self) -> dict[str, dict[str, Field]]:
        return {name: fields_of(cls) for name, cls in self.sections.items()}

    def build(self, values: Mapping[str, Any], ctx: BuildContext) -> Any:
        if self.custom_build is not None:
            return self.custom_build(values, ctx)
        return build(self.settings, values, ctx, self.sections)
