"""The ``endpoints:`` and ``grace:`` keys of a certificate (``renewer verify``).

An endpoint is a ``"host[:port]"`` string (port 443 unless given, IPv6 as
``"[::1]:8443"``) or a mapping ``{address: "host[:port]", sni: NAME}``. The
SNI name defaults to the certificate's first non-wildcard domain, because a
server picks the certificate by SNI and that is the name a browser sends.
A list item can be a string or a mapping, which the generic list walker
does not handle, so this module walks it with the same Checker and reports
every problem as FILE:LINE:COL like the rest of the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import yaml

from renewer.config.domains import normalise_domain, parse_host_port
from renewer.config.fields import SECTIONS, Field
from renewer.config.nodes import INVALID, Checker, Source, is_null, kind_of
from renewer.core.consumers import consumer_grace
from renewer.core.endpoints import DEFAULT_GRACE, DEFAULT_PORT, EndpointSpec

MAX_ENDPOINTS = 100
ENDPOINT_KEYS: dict[str, Field] = {
    "address": Field(required=True),
    "sni": Field(),
}
"""The keys of the mapping form; its values are checked here, not by converters."""


def verify_fields(
    checker: Checker,
    source: Source,
    domains: Any,
    default_values: Mapping[str, Any],
    consumers: Any = (),
) -> dict[str, Any]:
    """``endpoints`` and ``grace`` for CertificateSpec; problems go to ``checker``.

    Without its own ``grace``, a certificate's grace is its slowest consumer's
    pick-up time (plus a margin), then ``defaults.grace``, then 26 hours: the
    consumers are the certificate's own facts, ``defaults`` a guess for all.
    """
    table = SECTIONS["certificate"]
    grace = None
    entry = source.entries.get("grace")
    if entry is not None and not is_null(entry.value):
        grace = checker.get(source, table, "grace")
    if grace is None and isinstance(consumers, tuple):
        grace = consumer_grace(consumers)
    if grace is None:
        grace = default_values.get("grace") or DEFAULT_GRACE
    names = tuple(domains) if isinstance(domains, tuple) else ()
    endpoints = _endpoints(checker, source, names)
    return {"endpoints": endpoints, "grace": grace if isinstance(grace, timedelta) else None}


def _endpoints(checker: Checker, source: Source, domains: tuple[str, ...]) -> Any:
    entry = source.entries.get("endpoints")
    if entry is None or is_null(entry.value):
        return ()
    node, path = entry.value, entry.path
    if not isinstance(node, yaml.SequenceNode):
        checker.error(
            node, f'{path}: expected a list of "host[:port]" strings, got {kind_of(node)}'
        )
        return INVALID
    if len(node.value) > MAX_ENDPOINTS:
        checker.error(node, f"{path}: has {len(node.value)} entries; at most {MAX_ENDPOINTS}")
        return INVALID
    default_sni = next((d for d in domains if not d.startswith("*.")), "")
    found: dict[EndpointSpec, yaml.Node] = {}
    for index, item in enumerate(node.value):
        spec = _endpoint(checker, item, f"{path}[{index}]", domains, default_sni)
        if spec is None:
            continue
        if spec in found:
            line = found[spec].start_mark.line + 1
            checker.error(
                item, f"{path}[{index}]: duplicate endpoint {spec} (listed at line {line})"
            )
        found[spec] = item
    return tuple(found)


def _endpoint(
    checker: Checker, item: yaml.Node, path: str, domains: tuple[str, ...], default_sni: str
) -> EndpointSpec | None:
    """One endpoint, or None with the problem recorded."""
    sni_node: yaml.Node | None = None
    if isinstance(item, yaml.MappingNode):
        entries = checker.mapping(item, path) or {}
        checker.check_keys(Source(entries, item, path), ENDPOINT_KEYS)
        if "address" not in entries:
            checker.error(item, f"{path}: missing required key 'address'")
            return None
        address_node = entries["address"].value
        if "sni" in entries and not is_null(entries["sni"].value):
            sni_node = entries["sni"].value
        path_address = f"{path}.address"
    else:
        address_node, path_address = item, path
    address = _string(checker, address_node, path_address, 'a "host[:port]" string')
    if address is None:
        return None
    try:
        host_port = parse_host_port(address, DEFAULT_PORT)
    except ValueError as exc:
        checker.error(address_node, f"{path_address}: {exc}")
        return None
    host, _, port = host_port.rpartition(":")
    host = host.strip("[]")
    sni = default_sni
    if sni_node is not None:
        text = _string(checker, sni_node, f"{path}.sni", "a DNS name")
        if text is None:
            return None
        try:
            sni = normalise_domain(text)
        except ValueError as exc:
            checker.error(sni_node, f"{path}.sni: {exc}")
            return None
        if sni.startswith("*."):
            checker.error(sni_node, f"{path}.sni: a client sends a host name, not a wildcard")
            return None
        if domains and not _covered(sni, domains):
            listed = ", ".join(domains)
            message = f"{path}.sni: {sni!r} is not one of this certificate's domains ({listed})"
            checker.error(sni_node, message)
            return None
    elif not sni and domains:
        checker.error(item, f"{path}: every domain is a wildcard; give the name to send as sni:")
        return None
    return EndpointSpec(host=host.lower(), port=int(port), sni=sni)


def _string(checker: Checker, node: yaml.Node, path: str, expected: str) -> str | None:
    if not isinstance(node, yaml.ScalarNode) or str(node.tag) != "tag:yaml.org,2002:str":
        checker.error(node, f"{path}: expected {expected}, got {kind_of(node)}")
        return None
    text = str(node.value).strip()
    if not text:
        checker.error(node, f"{path}: must not be empty")
        return None
    return text


def _covered(name: str, domains: tuple[str, ...]) -> bool:
    """True if a certificate for ``domains`` is valid for ``name`` (one-label wildcards)."""
    for domain in domains:
        if domain == name:
            return True
        if domain.startswith("*.") and name.partition(".")[2] == domain[2:]:
            return True
    return False
