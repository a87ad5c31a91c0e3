"""``endpoints:`` and ``grace:`` in certificates.yaml: values, defaults, located errors."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import jsonschema
import pytest
import yaml

from renewer.config.loader import ConfigError, load_config
from renewer.core.endpoints import EndpointSpec

HEAD = """\
acme: {directory: letsencrypt}
store: {type: directory}
dns: {type: challtestsrv, url: "http://127.0.0.1:8055"}
"""
SCHEMA = Path(__file__).parents[2] / "renewer" / "schema" / "certificates.schema.json"


def load(tmp_path: Path, text: str) -> list[object]:
    path = tmp_path / "certificates.yaml"
    path.write_text(HEAD + text)
    return list(load_config(path, {}).certificates)


def issues(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "certificates.yaml"
    path.write_text(HEAD + text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, {})
    return [str(issue).replace(str(path), "F") for issue in caught.value.issues]


def test_endpoints_strings_mappings_defaults_and_grace(tmp_path: Path) -> None:
    (spec, other) = load(
        tmp_path,
        """\
defaults: {grace: 2h}
certificates:
  - name: www
    domains: ["*.contoso.com", contoso.com, www.contoso.com]
    endpoints:
      - www.contoso.com
      - "10.0.0.4:8443"
      - "[::1]:9443"
      - {address: "10.0.0.5", sni: api.contoso.com}
    grace: 90m
  - name: plain
    domains: [example.com]
""",
    )
    assert spec.endpoints == (
        EndpointSpec("www.contoso.com", 443, "contoso.com"),
        EndpointSpec("10.0.0.4", 8443, "contoso.com"),
        EndpointSpec("::1", 9443, "contoso.com"),
        EndpointSpec("10.0.0.5", 443, "api.contoso.com"),
    )
    assert spec.endpoints[2].address == "[::1]:9443"
    assert spec.grace == timedelta(minutes=90)
    assert other.endpoints == ()  # nothing is probed without endpoints
    assert other.grace == timedelta(hours=2)  # from defaults


def test_grace_defaults_to_26_hours(tmp_path: Path) -> None:
    (spec,) = load(tmp_path, "certificates:\n  - {name: a, domains: [a.example.com]}\n")
    assert spec.grace == timedelta(hours=26)


def test_bad_endpoints_are_located(tmp_path: Path) -> None:
    found = issues(
        tmp_path,
        """\
certificates:
  - name: a
    domains: [a.example.com, "*.b.example.com"]
    endpoints:
      - "a.example.com:99999"
      - "[nope]:443"
      - 443
      - {address: "x.example.com", sni: "other.example.org"}
      - {sni: a.example.com}
      - {address: "y.example.com", snii: a.example.com}
      - {address: "z.example.com", sni: "*.b.example.com"}
      - "a.example.com:443"
      - a.example.com
    grace: soon
  - name: b
    domains: ["*.c.example.com"]
    endpoints: ["c.example.com"]
  - name: c
    domains: [c.example.com]
    endpoints: "c.example.com"
""",
    )
    assert found == [
        "F:8:9: certificates[0].endpoints[0]: 'a.example.com:99999': the port must be a number"
        " from 1 to 65535",
        "F:9:9: certificates[0].endpoints[1]: '[nope]:443' is not a valid [IPv6]:port address",
        'F:10:9: certificates[0].endpoints[2]: expected a "host[:port]" string, got an integer',
        "F:11:41: certificates[0].endpoints[3].sni: 'other.example.org' is not one of this"
        " certificate's domains (a.example.com, *.b.example.com)",
        "F:12:9: certificates[0].endpoints[4]: missing required key 'address'",
        "F:13:36: certificates[0].endpoints[5]: unknown key 'snii'; did you mean 'sni'?",
        "F:14:41: certificates[0].endpoints[6].sni: a client sends a host name, not a wildcard",
        "F:16:9: certificates[0].endpoints[8]: duplicate endpoint a.example.com:443"
        " (SNI a.example.com) (listed at line 15)",
        "F:17:12: certificates[0].grace: expected a duration such as 30d, 12h, 90m, 45s, 0.5s,"
        " 1w or a number of seconds, got 'soon'",
        "F:20:17: certificates[1].endpoints[0]: every domain is a wildcard; give the name to"
        " send as sni:",
        'F:23:16: certificates[2].endpoints: expected a list of "host[:port]" strings, got'
        " a string",
    ]


def test_schema_accepts_both_forms_and_rejects_unknown_keys() -> None:
    schema = json.loads(SCHEMA.read_text())
    document = yaml.safe_load(
        HEAD
        + """\
defaults: {grace: 26h}
certificates:
  - name: a
    domains: [a.example.com]
    endpoints: ["a.example.com", {address: "10.0.0.4:443", sni: a.example.com}]
    grace: 2h
"""
    )
    jsonschema.Draft202012Validator(schema).validate(document)
    document["certificates"][0]["endpoints"].append({"adress": "x"})
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(document))
