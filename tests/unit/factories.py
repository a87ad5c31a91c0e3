"""Small builders for domain objects, so unit tests state only what matters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from renewer.config.types.dns_challtestsrv import ChallTestSrvSettings
from renewer.config.types.store_directory import DirectorySettings
from renewer.core.models import CertificateSpec, StoredCertificate
from renewer.core.settings import AcmeSettings, DnsSettings, StoreSettings

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
DIRECTORY = "https://127.0.0.1:14000/dir"


def spec(
    name: str = "www-example-test",
    domains: tuple[str, ...] = ("example.test", "www.example.test"),
    key: str = "ec-p256",
    profile: str | None = None,
    directory: str = DIRECTORY,
    renew_before: timedelta | None = None,
) -> CertificateSpec:
    return CertificateSpec(
        name=name,
        domains=domains,
        key=key,
        acme=AcmeSettings(directory=directory, profile=profile),
        dns=DnsSettings(
            type="challtestsrv", provider=ChallTestSrvSettings("http://127.0.0.1:8055")
        ),
        store=StoreSettings(type="directory", backend=DirectorySettings(Path("/tmp/x"))),
        renew_before=renew_before,
    )


def stored_for(
    s: CertificateSpec,
    issued: datetime = NOW - timedelta(days=10),
    lifetime: timedelta = timedelta(days=90),
    **overrides: object,
) -> StoredCertificate:
    fields: dict[str, object] = {
        "name": s.name,
        "not_before": issued,
        "not_after": issued + lifetime,
        "serial": "abc123",
        "fingerprint": s.fingerprint(),
        "domains": s.domains,
        "key": s.key,
        "profile": s.acme.profile,
        "directory": s.acme.directory,
        "ari_cert_id": "aki.serial",
    }
    fields.update(overrides)
    return StoredCertificate(**fields)  # type: ignore[arg-type]
