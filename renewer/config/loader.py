"""certificates.yaml -> validated, frozen CertificateSpecs, or every problem at once.

A config is edited by people in pull requests, so one run must show all its
mistakes, each as FILE:LINE:COL (the form editors and GitHub annotations jump
to). The YAML is therefore composed into nodes, which keep positions, and
walked against the field tables (config.fields) rather than loaded as plain data.
The file is read once, as bytes, so what is validated is what is used.
Nothing here touches the network; secrets stay ``env:NAME`` references whose
values never appear in a message.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from renewer.config import notify as notify_config
from renewer.config.consumer_entries import read_consumers
from renewer.config.domains import show
from renewer.config.durations import parse_duration
from renewer.config.extras import spec_extras  # verify's endpoints, the run cadence
from renewer.config.fields import (
    CLOUD_NAMES,
    DEFAULT_CHALLENGE,
    DEFAULT_KEY,
    SECTIONS,
    TYPED,
    Context,
    all_keys,
    typed_table,
)
from renewer.config.issuers import certificate_issuers, top_issuers
from renewer.config.nodes import INVALID, Checker, Entry, Source, compose, is_null, kind_of
from renewer.config.types.base import BuildContext
from renewer.config.types.registry import TYPES
from renewer.core.collector import collector_paused
from renewer.core.errors import RenewerError
from renewer.core.files import BoundedReadError, base_dir, read_bounded
from renewer.core.models import HSM_SUFFIX, CertificateSpec, ReportMode
from renewer.core.settings import (
    AcmeSettings,
    AzureSettings,
    DnsSettings,
    EabSettings,
    PropagationSettings,
    StoreSettings,
)

__all__ = ["Config", "ConfigError", "ConfigIssue", "load_config", "parse_duration"]


@dataclass(frozen=True)
class ConfigIssue:
    """One problem, located at the YAML node that causes it (1-based line and column)."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


def unknown_dns_type(node: yaml.Node) -> bool:
    """A string ``dns.type`` that neither renewer nor an installed plugin provides."""
    return (
        isinstance(node, yaml.ScalarNode)
        and node.tag.endswith(":str")
        and (node.value.strip() not in TYPES["dns"])
    )


def unknown_dns_message(node: yaml.Node, path: str) -> str:
    installed = list(TYPES["dns"])
    close = difflib.get_close_matches(str(node.value).strip(), installed, 1, 0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"{path}: unknown DNS type {show(node.value)}{hint} (installed: {', '.join(installed)})"


class ConfigError(RenewerError):
    """The config is invalid; ``issues`` holds every problem found, in file order."""

    def __init__(self, issues: Iterable[ConfigIssue]) -> None:
        self.issues: tuple[ConfigIssue, ...] = tuple(issues)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(issue) for issue in self.issues)


@dataclass(frozen=True)
class Config:
    """The desired state: every certificate, fully resolved, in file order."""

    path: Path
    certificates: tuple[CertificateSpec, ...]
    report_mode: ReportMode = ReportMode.ISSUE
    notify: tuple[notify_config.Target, ...] = ()  # notify hook


def load_config(path: Path, environ: Mapping[str, str] | None = None) -> Config:
    """Read and validate ``path``; raise ConfigError listing all problems found.

    ``environ`` (default: os.environ) is only consulted to check that every
    ``env:NAME`` reference is set; the values are read later, when used.
    """
    file = str(path)
    env = os.environ if environ is None else environ
    loader = _Loader(Context(base_dir(Path(path)), env))
    with collector_paused():  # a node tree and specs: many objects, no cycles
        certificates, report_mode = loader.config(_compose(_read_text(Path(path), file), file))
    if loader.issues:
        unique = sorted(dict.fromkeys(loader.issues), key=lambda issue: issue[:2])
        raise ConfigError(ConfigIssue(file, *issue) for issue in unique)
    return Config(Path(path), certificates, report_mode, loader.notify_targets())


def _fail(file: str, line: int, column: int, message: str) -> ConfigError:
    return ConfigError([ConfigIssue(file, line, column, message)])


def _read_text(path: Path, file: str) -> str:
    """The file's text, read exactly once; unreadable or non-UTF-8 files are located errors.

    A regular file under 16 MiB (``read_bounded``): /dev/zero or a FIFO fails, never hangs.
    """
    try:
        data = read_bounded(path)
    except BoundedReadError as exc:
        reason = str(exc).replace("does not exist", "file not found")
        reason = reason.replace("cannot be read:", "cannot read file:")
        raise _fail(file, 1, 1, reason) from None
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        start = data.rfind(b"\n", 0, exc.start) + 1
        line = data.count(b"\n", 0, exc.start) + 1
        column = len(data[start : exc.start].decode("utf-8", "replace")) + 1
        message = f"file is not valid UTF-8 (byte 0x{data[exc.start]:02x}); save it as UTF-8"
        raise _fail(file, line, column, message) from None


def _compose(text: str, file: str) -> yaml.MappingNode:
    """Parse to a node tree; a syntax error becomes one located issue, never a traceback.

    libyaml first, PyYAML's pure loader for what it refuses (``nodes.compose``).
    """
    try:
        root = compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or ""
        if "'\\t'" in problem or "tab" in problem:
            raise _fail(file, line, column, "tab character: indent YAML with spaces") from None
        message = "YAML syntax error: " + ": ".join(p for p in (exc.context, problem) if p)
        if exc.context_mark and exc.context_mark.line + 1 != line:
            message += f" (started at line {exc.context_mark.line + 1})"
        raise _fail(file, line, column, message) from None
    except yaml.reader.ReaderError as exc:
        pos = exc.position
        line, column = text.count("\n", 0, pos) + 1, pos - text.rfind("\n", 0, pos)
        char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1])
        raise _fail(file, line, column, f"character U+{char:04X} is not allowed in YAML") from None
    except yaml.YAMLError as exc:
        raise _fail(file, 1, 1, f"YAML error: {exc}") from None
    except RecursionError:
        raise _fail(file, 1, 1, "the document is nested too deeply") from None
    if root is None or is_null(root):
        raise _fail(file, 1, 1, "file is empty: no configuration found")
    if not isinstance(root, yaml.MappingNode):
        mark = root.start_mark
        message = f"the top level must be a mapping (acme, store, dns, ...), got {kind_of(root)}"
        raise _fail(file, mark.line + 1, mark.column + 1, message)
    return root


class _Loader(Checker):
    """Turns the checked sections into models: merges overrides, applies defaults."""

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.notify_top: tuple[notify_config.Target, ...] = ()  # notify hook
        self.notify_own: list[tuple[str, notify_config.Target]] = []

    def notify_targets(self) -> tuple[notify_config.Target, ...]:
        """notify hook: top-level and per-certificate targets, merged."""
        return notify_config.combine(self.notify_top, self.notify_own)

    def config(self, root: yaml.MappingNode) -> tuple[tuple[CertificateSpec, ...], ReportMode]:
        """Walk the whole document; returns the certificates and the report mode."""
        # "x-..." keys hold YAML anchors for reuse, as in docker compose files
        found = self.mapping(root, "") or {}
        top = Source({k: v for k, v in found.items() if not k.startswith("x-")}, root, "")
        table = SECTIONS["top"]
        self.check_keys(top, table)
        azure = self.section(self._optional(top, "azure"), SECTIONS["azure"]) or {}
        self.azure = AzureSettings(
            cloud=CLOUD_NAMES[azure.get("cloud") or "AzurePublicCloud"],
            authority_host=azure.get("authority_host"),
            arm_endpoint=azure.get("arm_endpoint"),
            ca_bundle=azure.get("ca_bundle"),
            token_audience=azure.get("token_audience"),
        )
        bases: dict[str, Source | None] = {}
        built: dict[str, Any] = {"acme": top_issuers(self, top)}  # one CA or a list of them
        for kind in ("store", "dns"):
            entry = top.entries.get(kind)
            if entry is None:
                self.get(top, table, kind)  # reports the missing section
            entries = self.mapping(entry.value, kind) if entry else None
            bases[kind] = (
                Source(entries, entry.value, kind) if entry and entries is not None else None
            )
            built[kind] = self.build(kind, bases[kind])
        defaults = self._optional(top, "defaults")
        self.check_keys(defaults, SECTIONS["defaults"])
        defaults_values = {  # valid defaults still apply when a sibling is wrong
            name: value
            for name in SECTIONS["defaults"]
            if (value := self.get(defaults, SECTIONS["defaults"], name)) is not INVALID
        }
        mode = (self.section(self._optional(top, "report"), SECTIONS["report"]) or {}).get("mode")
        # notify hook
        self.notify_top = notify_config.build_targets(self, top.entries.get("notify"))
        specs: list[CertificateSpec] = []
        entry = top.entries.get("certificates")
        if entry is None:
            self.get(top, table, "certificates")
        elif not isinstance(entry.value, yaml.SequenceNode):
            self.error(entry.value, f"certificates: expected a list, got {kind_of(entry.value)}")
        elif not entry.value.value:
            self.error(entry.value, "certificates: at least one certificate is required")
        else:
            names: dict[str, tuple[str, yaml.Node]] = {}
            for index, item in enumerate(entry.value.value):
                where = f"certificates[{index}]"
                spec = self.certificate(item, where, bases, built, defaults, defaults_values, names)
                if spec is not None:
                    specs.append(spec)
        return tuple(specs), mode if isinstance(mode, ReportMode) else ReportMode.ISSUE

    def _optional(self, top: Source, name: str) -> Source:
        """An optional top-level section; absent or null reads as empty."""
        entry = top.entries.get(name)
        if entry is None or is_null(entry.value):
            return Source({}, top.node, name)
        return Source(self.mapping(entry.value, name) or {}, entry.value, name)

    def build(self, kind: str, source: Source | None) -> Any:
        """AcmeSettings, StoreSettings or DnsSettings from a (merged) section, or None."""
        if source is None:
            return None
        if kind == "acme":
            values = self.section(source, SECTIONS["acme"])
            if values is None:
                return None
            eab = values.pop("eab")
            return AcmeSettings(eab=EabSettings(**eab) if eab else None, **values)
        type_entry = source.entries.get("type")
        type_name = INVALID
        if type_entry is None:
            self.get(source, SECTIONS[kind], "type")
        elif kind == "dns" and unknown_dns_type(type_entry.value):
            self.error(type_entry.value, unknown_dns_message(type_entry.value, type_entry.path))
        else:
            type_name = self.scalar(SECTIONS[kind]["type"], type_entry.value, type_entry.path)
        if type_name is INVALID:
            self.check_keys(source, all_keys(kind))  # still flag keys no type knows
            return None
        settings_type = TYPES[kind][type_name]
        table = typed_table(kind, type_name)
        if settings_type.open_keys is not None:  # a plugin: its keys are its own
            table |= {name: settings_type.open_keys for name in source.entries if name not in table}
        values = self.section(source, table, typed=f"{kind} type {type_name!r}")
        if values is None:
            return None
        own = {name: values[name] for name in table if name not in SECTIONS[kind]}
        if kind == "store":
            return StoreSettings(type_name, settings_type.build(own, BuildContext(self.azure)))
        propagation = PropagationSettings(**(values["propagation"] or {}))
        built = settings_type.build(own, BuildContext(self.azure, propagation))
        return DnsSettings(type_name, built, propagation)

    def override(self, kind: str, base: Source | None, entry: Entry) -> Source | None:
        """A certificate's partial section merged onto the top-level one.

        Keys given replace those keys. A different ``type`` replaces the whole
        section, because the other type's keys would mean nothing to it.
        """
        entries = self.mapping(entry.value, entry.path)
        if entries is None:
            return None
        own = Source(entries, entry.value, entry.path)
        if base is None:
            return own
        if kind in TYPED and "type" in entries:
            new, old = entries["type"].value, base.entries.get("type")
            old_type = (
                str(old.value.value) if old and isinstance(old.value, yaml.ScalarNode) else None
            )
            if not isinstance(new, yaml.ScalarNode) or new.value != old_type:
                return Source(entries, entry.value, entry.path, replaced=old_type)
        return Source({**base.entries, **entries}, base.node, base.where)

    def certificate(
        self,
        item: yaml.Node,
        where: str,
        bases: dict[str, Source | None],
        built: dict[str, Any],
        defaults: Source,
        default_values: dict[str, Any],
        names: dict[str, tuple[str, yaml.Node]],
    ) -> CertificateSpec | None:
        """One certificate with defaults and overrides applied, or None (issues recorded)."""
        entries = self.mapping(item, where)
        if entries is None:
            return None
        before = len(self.issues)
        source = Source(entries, item, where)
        table = SECTIONS["certificate"]
        self.check_keys(source, table)
        name = self.get(source, table, "name")
        if isinstance(name, str):
            node = entries["name"].value
            first_where, first = names.setdefault(name.lower(), (where, node))
            if first_where != where:  # by position: an alias may repeat the same node
                line = first.start_mark.line + 1
                self.error(
                    node,
                    f"{where}.name: duplicate certificate name {name!r} (first "
                    f"defined at line {line}; Key Vault names ignore case)",
                )
        domains = self.get(source, table, "domains")
        tags = self.get(source, table, "tags") or MappingProxyType({})
        parts: dict[str, Any] = certificate_issuers(self, entries.get("acme"), built["acme"])
        for kind in ("dns", "store"):
            entry = entries.get(kind)
            if entry is None or is_null(entry.value):
                parts[kind] = built[kind]
            else:
                parts[kind] = self.build(kind, self.override(kind, bases[kind], entry))
        own = {
            n
            for n in ("key", "renew_before", "challenge", "persist_until")
            if n in entries and not is_null(entries[n].value)
        }
        key = self.get(source, table, "key") if "key" in own else None
        key = key or default_values.get("key") or DEFAULT_KEY
        renew_before = self.get(source, table, "renew_before")
        if "renew_before" not in own:
            renew_before = default_values.get("renew_before")
        challenge = self.get(source, table, "challenge") if "challenge" in own else None
        challenge = challenge or default_values.get("challenge") or DEFAULT_CHALLENGE
        persist_until = self.get(source, table, "persist_until")
        if "persist_until" not in own:
            persist_until = default_values.get("persist_until")
        own_notify = notify_config.build_targets(self, entries.get("notify"))  # notify hook
        self.notify_own += [(name, target) for target in own_notify if isinstance(name, str)]
        consumers = read_consumers(self, source, parts["store"])  # config/consumer_entries.py
        verify = spec_extras(self, source, domains, defaults, default_values, consumers)
        life = {k: self.get(source, table, k) for k in ("retired", "adopt", "previous_name")}
        store = parts["store"]
        if isinstance(key, str) and key.endswith(HSM_SUFFIX) and store and store.type != "keyvault":
            key_entry = (source if "key" in own else defaults).entries["key"]
            self.error(
                key_entry.value,
                f"{key_entry.path}: key type {key!r} needs a keyvault "
                f"store, but {name!r} uses a {store.type} store",
            )
        if len(self.issues) != before or any(part is None for part in parts.values()):
            return None
        return CertificateSpec(
            name=name,
            domains=domains,
            key=key,
            renew_before=renew_before,
            tags=tags,
            challenge=challenge,
            persist_until=persist_until,
            **verify,
            retired=life["retired"] is True,
            adopt=life["adopt"] is True,
            consumers=tuple(consumers) if isinstance(consumers, list | tuple) else (),
            previous_name=p if isinstance(p := life["previous_name"], str) else None,
            **parts,
        )
