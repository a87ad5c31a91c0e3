"""dns.providers.plugin: a third-party provider's object behind the DNS-provider contract.

The entry points are real ``EntryPoint`` objects naming factories in this module,
so loading goes through importlib.metadata's own ``load``.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint
from typing import Any

import pytest

from renewer.config.types.plugin import ENTRY_POINT_GROUP
from renewer.core import redact
from renewer.core.frozen import FrozenMap
from renewer.core.settings import PluginSettings, SecretRef
from renewer.dns.contract import DnsError
from renewer.dns.providers import plugin
from renewer.dns.providers.plugin import PluginProvider, load_factory

HERE = __name__
CALLS: list[tuple[str, str, str]] = []


class Bunny:
    """A well-behaved plugin: records what it is asked to do."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options

    def describe(self) -> str:
        return f"zone {self.options['zone']}"

    def present(self, fqdn: str, value: str) -> None:
        CALLS.append(("present", fqdn, value))

    def cleanup(self, fqdn: str, value: str) -> None:
        raise RuntimeError("API said no\nsecond line with detail")


def picky(options: dict[str, Any]) -> object:
    raise KeyError("zone")


def half(options: dict[str, Any]) -> object:
    return object()


NOT_CALLABLE = 42


def provider_for(name: str, **options: Any) -> PluginProvider:
    return PluginProvider(PluginSettings(FrozenMap(options), name=name))


@pytest.fixture(autouse=True)
def installed(monkeypatch: pytest.MonkeyPatch) -> None:
    points = [
        EntryPoint(name, value, ENTRY_POINT_GROUP)
        for name, value in [
            ("bunny", f"{HERE}:Bunny"),
            ("picky", f"{HERE}:picky"),
            ("half", f"{HERE}:half"),
            ("number", f"{HERE}:NOT_CALLABLE"),
            ("gone", "no_such_module_anywhere:factory"),
        ]
    ]
    monkeypatch.setattr(plugin, "entry_points", lambda group: points)
    CALLS.clear()


def test_the_factory_gets_resolved_secrets_and_calls_reach_the_plugin(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BUNNY_TOKEN", "token-value-for-the-plugin-123")
    provider = provider_for("bunny", zone="z.test", token=SecretRef("BUNNY_TOKEN"))
    assert isinstance(provider.inner, Bunny)
    assert provider.inner.options == {"zone": "z.test", "token": "token-value-for-the-plugin-123"}
    assert "token-value" not in redact.redact("token-value-for-the-plugin-123")  # masked
    assert provider.describe() == "bunny (plugin): zone z.test"
    provider.present("_acme-challenge.z.test", "v1")
    assert CALLS == [("present", "_acme-challenge.z.test.", "v1")]  # always absolute


def test_what_a_plugin_raises_becomes_one_readable_line() -> None:
    provider = provider_for("bunny", zone="z.test")
    with pytest.raises(DnsError) as caught:
        provider.cleanup("_acme-challenge.z.test.", "v1")
    assert str(caught.value) == (
        "bunny (plugin): zone z.test: cleanup TXT at _acme-challenge.z.test. failed: "
        "RuntimeError: API said no"
    )


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("missing", "'missing' is no longer installed"),
        ("gone", "cannot be imported: ModuleNotFoundError"),
        ("number", f"{HERE}:NOT_CALLABLE is not callable"),
        ("picky", "'picky' rejected its settings: KeyError"),
        ("half", "returned an object without present, cleanup"),
    ],
)
def test_a_broken_plugin_is_a_dns_error_that_says_what_is_wrong(name: str, says: str) -> None:
    with pytest.raises(DnsError, match=says.replace("(", r"\(")):
        provider_for(name)


def test_load_factory_hands_back_the_named_callable() -> None:
    assert load_factory("bunny") is Bunny
