"""``acme:`` as one issuer or an ordered list: what each form loads to, and located errors."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from renewer.config.issuers import Issuers, certificate_issuers
from renewer.config.loader import ConfigError, load_config
from renewer.core.settings import AcmeSettings

A = "https://127.0.0.1:14000/dir"
B = "https://127.0.0.1:15000/dir"
C = "https://127.0.0.1:16000/dir"
SCHEMA = Path(__file__).parents[3] / "renewer" / "schema" / "certificates.schema.json"
REST = """\
store: {type: directory}
dns: {type: challtestsrv, url: "http://127.0.0.1:8055"}
"""


def load(text: str, tmp_path: Path) -> dict[str, list[tuple[str, str | None]]]:
    path = tmp_path / "certificates.yaml"
    path.write_text(text)
    config = load_config(path, {})
    return {s.name: [(i.directory, i.profile) for i in s.issuers] for s in config.certificates}


def issues(text: str, tmp_path: Path) -> list[str]:
    path = tmp_path / "certificates.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, {})
    return [f"{i.line}:{i.column}: {i.message}" for i in caught.value.issues]


def schema_errors(text: str) -> list[str]:
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    return [e.message for e in validator.iter_errors(yaml.safe_load(text))]


LISTED = f"""\
acme:
  - {{directory: "{A}", profile: shortlived}}
  - {{directory: "{B}"}}
{REST}certificates:
  - {{name: plain, domains: [a.example.test]}}
  - name: tuned
    domains: [b.example.test]
    acme: {{profile: tlsserver}}
  - name: own-list
    domains: [c.example.test]
    acme: [{{directory: "{C}"}}, {{directory: "{A}"}}]
  - name: moved
    domains: [d.example.test]
    acme: {{directory: "{B}"}}
"""


def test_a_list_is_tried_in_order_and_each_certificate_can_change_it(tmp_path: Path) -> None:
    assert load(LISTED, tmp_path) == {
        "plain": [(A, "shortlived"), (B, None)],
        # a mapping tunes the first issuer; the others stay its fallbacks
        "tuned": [(A, "tlsserver"), (B, None)],
        # a list replaces the issuers, each item complete (nothing merged from the top)
        "own-list": [(C, None), (A, None)],
        # a mapping that moves the first issuer to a fallback's CA: that CA once
        "moved": [(B, "shortlived")],
    }
    assert schema_errors(LISTED) == []


def test_a_single_mapping_is_one_issuer_as_before(tmp_path: Path) -> None:
    text = f"acme: {{directory: '{A}'}}\n{REST}certificates:\n  - {{name: x, domains: [x.test]}}\n"
    path = tmp_path / "certificates.yaml"
    path.write_text(text)
    (spec,) = load_config(path, {}).certificates
    assert spec.acme == AcmeSettings(directory=A) and spec.fallbacks == ()
    assert spec.issuers == (spec.acme,)


def test_mistakes_in_the_list_are_located(tmp_path: Path) -> None:
    text = f"""\
acme:
  - directory: "{A}"
  - directory: "{A}"
  - 5
  - {{directory: "{B}", bogus: 1}}
{REST}certificates:
  - name: empty
    domains: [a.example.test]
    acme: []
  - name: scalar
    domains: [b.example.test]
    acme: [7]
  - name: twice
    domains: [c.example.test]
    acme: [{{directory: "{C}"}}, {{directory: "{C}"}}]
"""
    found = issues(text, tmp_path)
    expected = [
        "3:16: acme[1].directory: the same CA as acme[0]; list each CA once",
        "4:5: acme[2]: expected a mapping, got an integer",
        "5:48: acme[3]: unknown key 'bogus'",
        "11:11: certificates[0].acme: the list of issuers is empty; name at least one CA",
        "14:12: certificates[1].acme[0]: expected a mapping, got an integer",
        "17:68: certificates[2].acme[1].directory: the same CA as certificates[2].acme[0]",
    ]
    for want in expected:
        assert any(line.startswith(want) for line in found), (want, found)
    assert schema_errors(text)  # the editor's schema refuses the empty list and the integers


def test_a_scalar_acme_says_both_forms(tmp_path: Path) -> None:
    text = f"acme: letsencrypt\n{REST}certificates:\n  - {{name: x, domains: [x.test]}}\n"
    assert issues(text, tmp_path) == [
        "1:7: acme: expected a mapping or a list of mappings, got a string"
    ]


def test_an_invalid_top_level_list_leaves_certificates_without_issuers() -> None:
    """No certificate is built on a half-valid list (the loader reports the items)."""
    assert certificate_issuers(_NoChecker(), None, Issuers()) == {"acme": None, "fallbacks": ()}


class _NoChecker:
    """A certificate without its own ``acme`` never asks the loader anything."""

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"unexpected call: {name}")
