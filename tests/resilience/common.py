"""Shared helpers for the resilience scenarios: configs, TXT lookups, version counts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import dns.message
import dns.query
import dns.rdatatype
from cryptography import x509
from rig import Challtestsrv

from tests.integration.runner import write_config

PROPAGATION = {"timeout": "20s", "interval": "0.1s"}


def challtestsrv_dns(server: Challtestsrv, **propagation: Any) -> dict[str, Any]:
    return {
        "type": "challtestsrv",
        "url": server.management_url,
        "propagation": {"nameservers": [server.dns_address], **PROPAGATION, **propagation},
    }


def make_config(
    tmp_path: Path,
    directory_url: str,
    ca_bundle: Path,
    dns: dict[str, Any],
    certs: list[dict[str, Any]],
    store: dict[str, Any] | None = None,
) -> Path:
    body = {
        "acme": {"directory": directory_url, "ca_bundle": str(ca_bundle)},
        "store": store or {"type": "directory", "path": str(tmp_path / "certs")},
        "dns": dns,
        "certificates": certs,
    }
    return write_config(tmp_path / "certificates.yaml", body)


def certs(count: int, prefix: str = "c") -> list[dict[str, Any]]:
    return [
        {"name": f"{prefix}{i}", "domains": [f"{prefix}{i}.example.test"]} for i in range(count)
    ]


def txt_values(server: Challtestsrv, name: str) -> list[str]:
    """TXT values challtestsrv serves at ``name`` right now."""
    query = dns.message.make_query(name, dns.rdatatype.TXT)
    answer = dns.query.tcp(query, "127.0.0.1", port=server.dns_port, timeout=3)
    return [
        b"".join(rdata.strings).decode()
        for rrset in answer.answer
        if rrset.rdtype == dns.rdatatype.TXT
        for rdata in rrset
    ]


def versions(root: Path, name: str) -> list[str]:
    folder = root / name / "versions"
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def assert_complete(root: Path, name: str) -> x509.Certificate:
    """The current version is whole: every file there, the key matches the leaf."""
    from cryptography.hazmat.primitives import serialization

    current = root / name / "current"
    meta = json.loads((current / "metadata.json").read_text())
    leaf = x509.load_pem_x509_certificate((current / "cert.pem").read_bytes())
    assert format(leaf.serial_number, "x") in meta["serial"].lower() or meta["serial"]
    key = serialization.load_pem_private_key((current / "privkey.pem").read_bytes(), None)
    assert key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) == leaf.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    chain = x509.load_pem_x509_certificates((current / "fullchain.pem").read_bytes())
    assert chain[0] == leaf
    return leaf


def journal_entries(root: Path) -> list[Path]:
    folder = root / "_journal"
    return sorted(folder.glob("*.json")) if folder.is_dir() else []
