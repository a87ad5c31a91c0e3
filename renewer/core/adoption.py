"""What an adopted certificate is, compared with what the config asks for.

Adoption takes over a same-name certificate another tool issued (acmebot), so
consumers that watch the name keep working. Whether it must be renewed at once
depends on what it *is*: its names and key type (read from the leaf), and its
CA (the ACME host the other tool recorded). The planner says those differences
in the plan; the store records them in renewer's tags on adoption, so the next
plans explain a later renewal the same way as for renewer's own certificates.

Pure: the stored certificate's facts come in, words and a spec come out.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlsplit

from renewer.core.models import HSM_SUFFIX, CertificateSpec, StoredCertificate


def ca_changed(spec: CertificateSpec, stored: StoredCertificate) -> bool:
    """True when the other tool recorded an ACME host that is not the config's CA host.

    No record (no known tool's tags, or no endpoint in them) is taken as the same
    CA: renewer cannot know better, and the names and key type still decide.
    """
    endpoint = stored.foreign.endpoint if stored.foreign else None
    return bool(endpoint) and endpoint != (urlsplit(spec.acme.directory).hostname or "")


def issued_key(spec: CertificateSpec, stored: StoredCertificate) -> str | None:
    """The stored key type; an HSM key reads like its software twin, so the spec's -hsm stays."""
    if stored.key is None:
        return None
    if spec.key.endswith(HSM_SUFFIX) and spec.key.removesuffix(HSM_SUFFIX) == stored.key:
        return spec.key
    return stored.key


def as_issued(spec: CertificateSpec, stored: StoredCertificate) -> CertificateSpec:
    """The spec as the stored certificate actually is: its fingerprint describes the leaf."""
    directory = spec.acme.directory
    if ca_changed(spec, stored) and stored.foreign is not None and stored.foreign.endpoint:
        directory = stored.foreign.endpoint
    return replace(
        spec,
        domains=stored.domains or spec.domains,
        key=issued_key(spec, stored) or spec.key,
        acme=replace(spec.acme, directory=directory),
    )


def differences(spec: CertificateSpec, stored: StoredCertificate) -> list[str]:
    """What renewing under renewer's policy changes, in words (empty: nothing but tags)."""
    changes: list[str] = []
    if stored.domains is not None:
        have = {d.lower() for d in stored.domains}
        want = {d.lower() for d in spec.domains}
        if have != want:
            delta = [f"+{d}" for d in sorted(want - have)] + [f"-{d}" for d in sorted(have - want)]
            changes.append("domains changed: " + ", ".join(delta))
    key = issued_key(spec, stored)
    if key is not None and key != spec.key:
        changes.append(f"key type changed: {key} -> {spec.key} (set key: {key} to keep it)")
    if ca_changed(spec, stored) and stored.foreign is not None:
        changes.append(f"CA changed: {stored.foreign.endpoint} -> {spec.acme.directory}")
    return changes
