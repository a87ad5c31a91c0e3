"""The config loader: good files become the expected specs, bad files the expected issues.

tests/data/bad/*.yaml each start with ``# expect: LINE:COL: substring`` lines;
every expected issue must be reported, which also proves that the loader
reports all problems at once instead of stopping at the first.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import shutil
import tempfile
import time
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from renewer.cli import main
from renewer.config import fields
from renewer.config import schema as generated_schema
from renewer.config.directories import ALIASES, resolve_directory
from renewer.config.fields import SECTIONS, TYPED, Field, all_keys
from renewer.config.loader import Config, ConfigError, ConfigIssue, load_config, parse_duration
from renewer.config.types.dns_azure import AzureDnsSettings
from renewer.config.types.dns_challtestsrv import ChallTestSrvSettings
from renewer.config.types.dns_rfc2136 import Rfc2136Settings, TsigSettings
from renewer.config.types.store_directory import DirectorySettings
from renewer.config.types.store_keyvault import KeyVaultSettings
from renewer.core.settings import AZURE_CLOUDS, AzureSettings, EabSettings, SecretRef
from tests.unit.local_ca import LocalCA

DATA = Path(__file__).parents[2] / "data"
GOOD = sorted((DATA / "good").glob("*.yaml"))
BAD = sorted((DATA / "bad").glob("*.yaml"))
SCHEMA_PATH = Path(__file__).parents[3] / "renewer" / "schema" / "certificates.schema.json"
ENV = {"EAB_KID": "kid-value", "EAB_HMAC": "hmac-value", "TSIG_SECRET": "dHNpZy12YWx1ZQ=="}
MINIMAL = """\
acme: {directory: letsencrypt}
store: {type: directory}
dns: {type: challtestsrv, url: "http://127.0.0.1:8055"}
certificates:
  - {name: demo, domains: [example.com]}
"""


@cache
def bundle_pem() -> bytes:
    """A CA certificate in PEM: ca_bundle settings must hold one (issue 12)."""
    return LocalCA().cert.public_bytes(serialization.Encoding.PEM)


def load_good(name: str, tmp_path: Path) -> Config:
    """Load a good file from a copy next to the CA bundle the local configs refer to."""
    (tmp_path / ".local" / "tls").mkdir(parents=True)
    (tmp_path / ".local" / "tls" / "root.pem").write_bytes(bundle_pem())  # must be PEM
    shutil.copy(DATA / "good" / name, tmp_path / name)
    return load_config(tmp_path / name, ENV)


def issues_of(
    text: str | bytes, tmp_path: Path, environ: dict[str, str] | None = None
) -> list[str]:
    path = tmp_path / "certificates.yaml"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, ENV if environ is None else environ)
    return [f"{i.line}:{i.column}: {i.message}" for i in caught.value.issues]


# -- good configs -------------------------------------------------------------


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.stem)
def test_every_good_file_loads(path: Path, tmp_path: Path) -> None:
    config = load_good(path.name, tmp_path)
    assert config.certificates
    assert config.path == tmp_path / path.name


def test_design_example_merges_overrides_onto_the_top_level(tmp_path: Path) -> None:
    www, wildcard = load_good("design_example.yaml", tmp_path).certificates
    assert www.name == "www-contoso-com"
    assert www.domains == ("contoso.com", "www.contoso.com")
    assert www.key == "ec-p256"
    assert www.renew_before == timedelta(days=30)
    assert www.acme.directory == "https://acme-v02.api.letsencrypt.org/directory"
    assert www.acme.contact == ("mailto:ops@example.com",)
    assert www.acme.eab == EabSettings(SecretRef("EAB_KID"), SecretRef("EAB_HMAC"))
    assert www.store.type == "keyvault"
    assert www.store.backend == KeyVaultSettings(
        vault_url="https://contoso-certs.vault.azure.net",
        key_mode="csr",
        exportable=True,
        content_type="pkcs12",
        ca_bundle=None,
        on_soft_deleted="recover",
        azure=AzureSettings(cloud="public"),
    )
    assert www.dns.provider == AzureDnsSettings(
        subscription_id="00000000-0000-0000-0000-000000000000",
        resource_group="dns",
        azure=AzureSettings(cloud="public"),
    )
    assert dict(www.tags) == {}

    assert wildcard.domains == ("*.fabrikam.net", "fabrikam.net")
    assert wildcard.key == "rsa-3072"
    assert wildcard.dns.provider == AzureDnsSettings(
        subscription_id="11111111-1111-1111-1111-111111111111",
        resource_group="other-dns",
        azure=AzureSettings(cloud="public"),
    )
    assert isinstance(wildcard.store.backend, KeyVaultSettings)
    assert wildcard.store.backend.vault_url == "https://fabrikam-certs.vault.azure.net"
    assert wildcard.store.backend.key_mode == "csr"  # inherited default
    assert wildcard.acme == www.acme
    assert dict(wildcard.tags) == {"owner": "web-team"}


def test_local_default_resolves_paths_relative_to_the_config_file(tmp_path: Path) -> None:
    (spec,) = load_good("local_default.yaml", tmp_path).certificates
    assert spec.acme.directory == "https://127.0.0.1:14000/dir"
    assert spec.acme.ca_bundle == tmp_path / ".local" / "tls" / "root.pem"
    assert spec.store.type == "directory"
    assert spec.store.backend == DirectorySettings(tmp_path / ".local" / "certs")
    assert spec.dns.type == "challtestsrv"
    assert spec.dns.provider == ChallTestSrvSettings("http://127.0.0.1:8055")
    assert spec.dns.propagation.nameservers == ("127.0.0.1:8053",)
    assert spec.dns.propagation.timeout == 60.0
    assert spec.dns.propagation.interval == 0.5
    assert spec.domains == ("example.test", "*.example.test")
    assert spec.renew_before is None
    assert spec.key == "ec-p256"


def test_mixed_config_type_change_anchors_idn_and_defaults(tmp_path: Path) -> None:
    config = load_good("rfc2136_mixed.yaml", tmp_path)
    assert config.report_mode == "pr"
    shop, legal, copy = config.certificates
    assert shop.name == "Shop-Example-Org"
    assert shop.domains == ("xn--bcher-kva.example.org", "*.example.org", "example.org")
    assert shop.key == "rsa-2048"  # from defaults
    assert shop.renew_before == timedelta(hours=12)  # own value beats defaults
    assert shop.acme.directory == "https://acme.zerossl.com/v2/DV90"
    assert shop.acme.contact == ("mailto:pki@example.org", "mailto:Security@example.org")
    assert shop.acme.preferred_chain == "ISRG Root X1"
    assert shop.store.backend == DirectorySettings(tmp_path / ".local" / "certs")
    assert shop.dns.provider == Rfc2136Settings(
        nameserver="127.0.0.1:5353",
        zone="example.org.",
        tsig=TsigSettings(
            name="acme-key",
            secret=SecretRef("TSIG_SECRET"),
            algorithm="hmac-sha512",
        ),
    )
    assert shop.dns.propagation.nameservers == (
        "127.0.0.1:53",
        "[::1]:5353",
        "ns1.example.org:53",
    )
    assert shop.dns.propagation.timeout == 90.0
    assert shop.dns.propagation.interval == 1.0

    assert legal.key == "rsa-4096-hsm"  # allowed: its store is keyvault
    assert legal.renew_before == timedelta(weeks=1)
    assert legal.store.type == "keyvault"
    assert legal.store.backend == KeyVaultSettings(
        vault_url="https://legal-certs.vault.usgovcloudapi.net",
        key_mode="import",
        exportable=False,
        content_type="pem",
        ca_bundle=None,
        on_soft_deleted="recover",
        azure=AzureSettings(cloud="public"),
    )
    assert legal.acme.directory == "https://acme-staging-v02.api.letsencrypt.org/directory"
    assert legal.acme.eab is None  # null in an override restores the default
    assert legal.acme.profile == "shortlived"
    assert legal.acme.contact == shop.acme.contact  # keys not given are inherited
    assert dict(legal.tags) == {"owner": "legal", "cost-center": "4711"}

    assert isinstance(copy.store.backend, KeyVaultSettings)
    assert copy.store.backend.vault_url == "https://copy.vault.usgovcloudapi.net"
    assert copy.store.backend.key_mode == "import"  # from the merged anchor
    assert isinstance(copy.dns.provider, Rfc2136Settings)
    assert copy.dns.provider.zone is None
    assert copy.dns.provider.nameserver == "127.0.0.1:5353"


def test_minimal_config_gets_every_default(tmp_path: Path) -> None:
    config = load_good("minimal.yaml", tmp_path)
    assert config.report_mode == "issue"
    (spec,) = config.certificates
    assert spec.key == "ec-p256"
    assert spec.renew_before is None
    assert spec.acme.contact == ()
    assert spec.acme.eab is None
    assert spec.dns.propagation.nameservers == ()
    assert spec.dns.propagation.timeout == 120.0
    assert spec.dns.propagation.interval == 2.0
    assert spec.dns.provider == ChallTestSrvSettings("http://localhost:8055")


def test_azure_cloud_names_map_to_the_models_clouds(tmp_path: Path) -> None:
    assert set(fields.CLOUD_NAMES.values()) == set(AZURE_CLOUDS)
    assert {c.config_name for c in AZURE_CLOUDS.values()} == set(fields.CLOUD_NAMES)
    path = tmp_path / "c.yaml"
    dns = "{type: azure, subscription_id: 00000000-0000-0000-0000-000000000000, "
    dns += "resource_group: dns}"
    text = MINIMAL.replace('{type: challtestsrv, url: "http://127.0.0.1:8055"}', dns)
    bundle = tmp_path / "root.pem"
    bundle.write_bytes(bundle_pem())
    text += "azure: {cloud: AzureUSGovernment, arm_endpoint: 'https://127.0.0.1:8443', "
    text += "authority_host: 'https://127.0.0.1:8444', ca_bundle: root.pem}\n"
    path.write_text(text)
    (spec,) = load_config(path, {}).certificates
    assert isinstance(spec.dns.provider, AzureDnsSettings)
    assert spec.dns.provider.azure == AzureSettings(
        cloud="usgov",
        authority_host="https://127.0.0.1:8444",
        arm_endpoint="https://127.0.0.1:8443",
        ca_bundle=bundle,
    )


def test_azure_token_audience_override_is_loaded(tmp_path: Path) -> None:
    """issue 11: the GitHub OIDC audience, for a federated credential that names another."""
    path = tmp_path / "c.yaml"
    dns = "{type: azure, subscription_id: 00000000-0000-0000-0000-000000000000, "
    dns += "resource_group: dns}"
    text = MINIMAL.replace('{type: challtestsrv, url: "http://127.0.0.1:8055"}', dns)
    path.write_text(text + "azure: {cloud: AzureChinaCloud, token_audience: 'api://ours'}\n")
    (spec,) = load_config(path, {}).certificates
    assert isinstance(spec.dns.provider, AzureDnsSettings)
    assert spec.dns.provider.azure == AzureSettings(cloud="china", token_audience="api://ours")


def test_retired_is_read_and_checked(tmp_path: Path) -> None:
    """issue 11: ``retired: true`` stops renewals on purpose; anything but a bool is an error."""
    path = tmp_path / "c.yaml"
    path.write_text(
        MINIMAL.replace("domains: [example.com]}", "domains: [example.com], retired: true}")
    )
    (spec,) = load_config(path, {}).certificates
    assert spec.retired is True
    path.write_text(MINIMAL)
    assert load_config(path, {}).certificates[0].retired is False
    path.write_text(
        MINIMAL.replace("domains: [example.com]}", "domains: [example.com], retired: yes-please}")
    )
    with pytest.raises(ConfigError, match=r"c.yaml:5:\d+: .*retired"):
        load_config(path, {})


def test_previous_name_is_read(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        MINIMAL.replace("domains: [example.com]}", "domains: [example.com], previous_name: old}")
    )
    assert load_config(path, {}).certificates[0].previous_name == "old"


def test_validate_warns_when_a_consumer_cannot_use_the_key_type(tmp_path: Path) -> None:
    """issue 11: Front Door takes no EC keys; ``validate`` says so (and still exits 0)."""
    from click.testing import CliRunner

    from renewer.cli import main

    path = tmp_path / "c.yaml"
    text = MINIMAL.replace(
        "  - {name: demo, domains: [example.com]}",
        "  - {name: demo, domains: [example.com], consumers: [front-door]}\n"
        "  - {name: rsa, domains: [rsa.example.com], key: rsa-2048, consumers: [front-door]}",
    )
    path.write_text(text)
    demo, rsa = load_config(path, {}).certificates
    assert [c.kind for c in demo.consumers + rsa.consumers] == ["front-door", "front-door"]
    names = ["", "azure", "azure.identity", "acme", "urllib3"]
    saved = {n: logging.getLogger(n).level for n in names}
    handlers = list(logging.getLogger().handlers)
    try:  # the CLI sets logger levels process-wide; later tests need them back
        result = CliRunner().invoke(main, ["validate", "-c", str(path)])
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)
        logging.getLogger().handlers[:] = handlers
    assert result.exit_code == 0, result.output
    assert result.output.count("warning: ") == 1
    assert (
        "warning: certificate demo: Front Door does not accept EC keys (ec-p256); set key: "
        "rsa-2048 (or larger) for it"
    ) in result.output
    path.write_text(text.replace("consumers: [front-door]}", "consumers: [front-dor]}", 1))
    with pytest.raises(ConfigError, match="consumers"):
        load_config(path, {})


def test_null_optional_values_mean_default(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(MINIMAL + "defaults:\nreport:\n  mode:\n")
    config = load_config(path, {})
    assert config.report_mode == "issue"
    assert config.certificates[0].key == "ec-p256"


def test_top_level_x_keys_hold_anchors(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "x-names: &names [a.example.com, b.example.com]\n"
        + MINIMAL.replace("domains: [example.com]", "domains: *names")
    )
    assert load_config(path, {}).certificates[0].domains == ("a.example.com", "b.example.com")


def test_thousands_of_certificates_load_quickly(tmp_path: Path) -> None:
    lines = [MINIMAL.split("certificates:")[0], "certificates:\n"]
    for i in range(2000):
        lines.append(f"  - name: cert-{i}\n    domains: [c{i}.example.com, www.c{i}.example.com]\n")
        if i % 10 == 0:
            lines.append("    store: {path: other}\n    tags: {team: t}\n")
    path = tmp_path / "c.yaml"
    path.write_text("".join(lines))
    started = time.monotonic()
    config = load_config(path, {})
    assert len(config.certificates) == 2000
    assert time.monotonic() - started < 20


# -- bad configs ----------------------------------------------------------------


def expectations(path: Path) -> list[tuple[int, int, str]]:
    text = path.read_bytes().decode("utf-8", "replace")
    found = re.findall(r"^# expect: (\d+):(\d+): (.+)$", text, re.MULTILINE)
    return [(int(line), int(column), message) for line, column, message in found]


def test_there_are_enough_bad_cases() -> None:
    assert len(BAD) >= 30
    assert all(expectations(path) for path in BAD)


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_bad_file_reports_every_expected_issue(path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(path, ENV)
    issues = caught.value.issues
    for line, column, message in expectations(path):
        assert any((i.line, i.column) == (line, column) and message in i.message for i in issues), (
            f"{path.name}: no issue {line}:{column}: {message!r} in\n{caught.value}"
        )
    assert all(issue.file == str(path) for issue in issues)
    assert [(i.line, i.column) for i in issues] == sorted((i.line, i.column) for i in issues)


def test_missing_file_is_one_issue(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.issues == (ConfigIssue(str(path), 1, 1, "file not found"),)
    assert str(caught.value) == f"{path}:1:1: file not found"


def test_truly_empty_and_directory(tmp_path: Path) -> None:
    assert issues_of(b"", tmp_path) == ["1:1: file is empty: no configuration found"]
    with pytest.raises(ConfigError, match="is a directory"):
        load_config(tmp_path)


def test_error_text_is_one_line_per_issue(tmp_path: Path) -> None:
    text = MINIMAL.replace("letsencrypt", "nope").replace("example.com", "bad_label.com")
    messages = issues_of(text, tmp_path)
    assert len(messages) == 2
    path = tmp_path / "certificates.yaml"
    with pytest.raises(ConfigError) as caught:
        load_config(path, {})
    assert str(caught.value).splitlines() == [f"{path}:{m}" for m in messages]


def test_same_problem_through_a_shared_node_is_reported_once(tmp_path: Path) -> None:
    text = MINIMAL.replace("{type: directory}", "{type: directory, colour: red}")
    text += "  - {name: two, domains: [two.example.com], store: {path: x}}\n"
    assert issues_of(text, tmp_path) == ["2:26: store: unknown key 'colour' (allowed: type, path)"]


def test_the_file_is_read_exactly_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(MINIMAL)
    reads: list[Path] = []
    original = Path.read_bytes

    def counting(self: Path) -> bytes:
        reads.append(self)
        return original(self)

    monkeypatch.setattr(Path, "read_bytes", counting)
    monkeypatch.setattr(Path, "read_text", lambda *a, **k: pytest.fail("read_text used"))
    load_config(path, {})
    assert reads == [path]


def test_merge_chains_do_not_explode(tmp_path: Path) -> None:
    layers = ["x-0: &l0 {directory: letsencrypt}"]
    layers += [f"x-{i}: &l{i} {{<<: [*l{i - 1}, *l{i - 1}, *l{i - 1}]}}" for i in range(1, 40)]
    text = "\n".join(layers) + "\n" + MINIMAL.replace("{directory: letsencrypt}", "*l39")
    path = tmp_path / "c.yaml"
    path.write_text(text)
    started = time.monotonic()
    assert load_config(path, {}).certificates[0].acme.directory.startswith("https://acme-v02")
    assert time.monotonic() - started < 5


def test_odd_paths_are_located_errors(tmp_path: Path) -> None:
    text = MINIMAL.replace("{directory: letsencrypt}", '{directory: letsencrypt, ca_bundle: "%s"}')
    for bundle in ["x" * 5000, "a\\0b", "."]:
        (message,) = issues_of(text % bundle, tmp_path)
        assert message.startswith("1:43: acme.ca_bundle: ")


def test_deep_nesting_is_a_located_error(tmp_path: Path) -> None:
    (message,) = issues_of("a: " + "[" * 5000 + "]" * 5000 + "\n", tmp_path)
    assert message.startswith("1:1: ")


# -- secrets --------------------------------------------------------------------

LITERALS = ("Sup3rS3cretHmacValue", "TsigS3cretValue==", "4711000999")


def test_literal_secrets_never_appear_in_errors(tmp_path: Path) -> None:
    text = f"""\
acme:
  directory: zerossl
  eab: {{kid: {LITERALS[2]}, hmac_key: {LITERALS[0]}, {LITERALS[1]}x: 1}}
store: {{type: directory}}
dns:
  type: rfc2136
  nameserver: 127.0.0.1:5353
  tsig: {{name: k, secret: "{LITERALS[1]}", algorithm: [{LITERALS[0]}]}}
certificates:
  - {{name: demo, domains: [example.com], key: nope}}
  - name: other
    domains: [other.example.com]
    dns: {{tsig: {{name: k, secret: [{LITERALS[0]}]}}}}
    acme: {{eab: {{kid: env:UNSET_NAME, hmac_key: "env:{LITERALS[1]}"}}}}
"""
    messages = issues_of(text, tmp_path)
    joined = "\n".join(messages)
    assert "not a literal secret" in joined
    assert "environment variable UNSET_NAME is not set" in joined
    assert "key: nope" not in joined and "unknown value 'nope'" in joined
    for literal in LITERALS:
        assert literal not in joined


def test_secret_values_are_never_stored(tmp_path: Path) -> None:
    config = load_good("design_example.yaml", tmp_path)
    text = repr(config)
    assert "EAB_KID" in text
    assert all(value not in text for value in ENV.values())


# -- never anything but ConfigError ---------------------------------------------


def load_text(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "c.yaml"
        path.write_bytes(data)
        try:
            load_config(path, ENV)
        except ConfigError as error:
            assert error.issues
            for issue in error.issues:
                assert issue.line >= 1 and issue.column >= 1 and issue.message


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


@SETTINGS
@given(st.text(alphabet=st.sampled_from([*list("ab:-[]{}&*!|>'\"#%@`,?\n\t .<=~"), "é"])))
def test_random_text_never_raises_anything_else(text: str) -> None:
    load_text(text.encode())


@SETTINGS
@given(st.binary(max_size=200))
def test_random_bytes_never_raise_anything_else(data: bytes) -> None:
    load_text(data)


NAMES = sorted({key for table in SECTIONS.values() for key in table} | {"<<", "x-a", "type"})
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["env:EAB_KID", "env:NOPE", "30d", "keyvault", "azure", "*.a.b", "a.b"])
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(NAMES), inner, max_size=5)
    ),
    max_leaves=25,
)


@SETTINGS
@given(st.dictionaries(st.sampled_from(NAMES), VALUES, max_size=7))
def test_random_structures_never_raise_anything_else(document: dict[str, Any]) -> None:
    load_text(yaml.safe_dump(document, allow_unicode=True).encode())


@SETTINGS
@given(st.data())
def test_mutated_good_configs_never_raise_anything_else(data: st.DataObject) -> None:
    source = data.draw(st.sampled_from(GOOD))
    document = yaml.safe_load(source.read_text())
    node = document
    for _ in range(data.draw(st.integers(1, 4))):
        if isinstance(node, dict) and node:
            key = data.draw(st.sampled_from(sorted(node, key=str)))
            if data.draw(st.booleans()) or not isinstance(node[key], dict | list):
                node[key] = data.draw(VALUES)
                break
            node = node[key]
        elif isinstance(node, list) and node:
            index = data.draw(st.integers(0, len(node) - 1))
            if data.draw(st.booleans()) or not isinstance(node[index], dict | list):
                node[index] = data.draw(VALUES)
                break
            node = node[index]
    load_text(yaml.safe_dump(document, allow_unicode=True).encode())


# -- JSON Schema generated from the loader's tables -----------------------------


def test_committed_schema_is_exactly_the_generated_one() -> None:
    """Editors read the committed file; ``renewer schema`` regenerates it from the tables."""
    assert SCHEMA_PATH.read_text(encoding="utf-8") == generated_schema.render(), (
        "renewer/schema/certificates.schema.json is stale: run "
        "`python -m renewer schema > renewer/schema/certificates.schema.json`"
    )


def test_schema_command_prints_the_generated_schema() -> None:
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0, result.output
    assert result.output == generated_schema.render()
    assert json.loads(result.output)["$defs"]["dns"]["properties"]["type"]["enum"] == list(
        TYPED["dns"]
    )


@cache
def schema() -> dict[str, Any]:
    result: dict[str, Any] = json.loads(SCHEMA_PATH.read_text())
    return result


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    """Follow local $refs ("#/$defs/...") to the node they name."""
    while "$ref" in node:
        target: Any = schema()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def enum_of(node: dict[str, Any]) -> list[Any] | None:
    """The enum a property offers, looking through $ref and anyOf (minus null)."""
    node = resolve(node)
    if "enum" in node:
        return list(node["enum"])
    if node.get("type") == "array" and "items" in node:  # a list of enum values (notify.on)
        return enum_of(node["items"])
    for option in node.get("anyOf", []):
        found = enum_of(option)
        if found is not None:
            return found
    return None


def schema_section(name: str) -> dict[str, Any]:
    document = schema()
    return document if name == "top" else document["$defs"][name]  # type: ignore[no-any-return]


@pytest.mark.parametrize("section", sorted(SECTIONS))
def test_schema_has_exactly_the_loaders_keys_and_enums(section: str) -> None:
    table: dict[str, Field] = SECTIONS[section]
    node = schema_section(section)
    assert sorted(node["properties"]) == sorted(table)
    assert sorted(node.get("required", [])) == sorted(k for k, f in table.items() if f.required)
    for key, field in table.items():
        offered = enum_of(node["properties"][key])
        if key == "directory":
            assert offered == list(ALIASES)
        else:
            assert offered == (list(field.enum) if field.enum else None), key


@pytest.mark.parametrize("kind", ["acme", "dns", "store"])
def test_schema_overrides_offer_every_key_of_the_section(kind: str) -> None:
    node = schema()["$defs"][f"{kind}-override"]
    assert sorted(node["properties"]) == sorted(all_keys(kind))
    for type_name in TYPED.get(kind, ()):
        assert f"{kind}.{type_name}" in schema()["$defs"]


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.stem)
def test_good_files_validate_against_the_schema(path: Path) -> None:
    jsonschema.Draft202012Validator.check_schema(schema())
    document = yaml.safe_load(path.read_text())
    jsonschema.Draft202012Validator(schema()).validate(document)
    first = path.read_text().splitlines()[0]
    if first.startswith("# yaml-language-server:"):
        target = first.split("$schema=")[1]
        assert (path.parent / target).resolve() == SCHEMA_PATH.resolve()


@pytest.mark.parametrize(
    "change",
    [
        {"acmee": {}},
        {"store": {"type": "directory", "vault_url": "https://x.vault.azure.net"}},
        {"dns": {"type": "godaddy"}},
        {"certificates": []},
        {"certificates": [{"name": "a_b", "domains": ["a.example.com"]}]},
    ],
)
def test_schema_rejects_what_the_loader_rejects(change: dict[str, Any]) -> None:
    document = {**yaml.safe_load(MINIMAL), **change}
    assert list(jsonschema.Draft202012Validator(schema()).iter_errors(document))


# -- durations and directories ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30d", 30 * 86400),
        ("12h", 43200),
        ("90m", 5400),
        ("45s", 45),
        ("0.5s", 0.5),
        ("1w", 604800),
        ("1d12h", 129600),
        (" 10 ", 10),
        (3, 3),
        (2.5, 2.5),
        ("0", 0),
    ],
)
def test_parse_duration(text: str | float, seconds: float) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize(
    "text", ["", "d", "30 days", "1M", "-5s", "12h1d", "1h1h", "nan", True, -1, 1e400, "1e5s"]
)
def test_parse_duration_rejects(text: Any) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


@given(st.one_of(st.text(max_size=20), st.floats(), st.integers(), st.booleans()))
def test_parse_duration_raises_only_value_error(value: Any) -> None:
    with contextlib.suppress(ValueError):
        assert parse_duration(value) >= timedelta(0)


def test_resolve_directory() -> None:
    assert resolve_directory("letsencrypt") == ALIASES["letsencrypt"]
    assert resolve_directory(" Google-Staging ") == ALIASES["google-staging"]
    assert resolve_directory("https://ca.example/dir") == "https://ca.example/dir"
    assert resolve_directory("http://localhost:14000/dir") == "http://localhost:14000/dir"
    assert resolve_directory("http://127.0.0.1:14000/dir") == "http://127.0.0.1:14000/dir"
    for bad in ["lets-encrypt", "http://ca.example/dir", "ftp://ca.example", "https://", ""]:
        with pytest.raises(ValueError) as caught:
            resolve_directory(bad)
        assert all(alias in str(caught.value) for alias in ALIASES)
