"""core.adoption: an adopted certificate compared with what the config asks for."""

from __future__ import annotations

from renewer.core.adoption import as_issued, ca_changed, differences, issued_key
from renewer.core.models import ForeignIssuer, StoredCertificate
from tests.unit.factories import spec, stored_for

# factories.DIRECTORY is https://127.0.0.1:14000/dir: its host is 127.0.0.1
SAME_CA = ForeignIssuer("acmebot", "v4 tags", endpoint="127.0.0.1")
OTHER_CA = ForeignIssuer("acmebot", "v4 tags", endpoint="acme.other.test")


def foreign(issuer: ForeignIssuer | None, **overrides: object) -> StoredCertificate:
    return stored_for(spec(), foreign=issuer, managed=False, **overrides)


def test_the_ca_changed_only_when_the_other_tool_recorded_another_host() -> None:
    s = spec()
    assert not ca_changed(s, foreign(SAME_CA))
    assert ca_changed(s, foreign(OTHER_CA))
    assert not ca_changed(s, foreign(ForeignIssuer("acmebot", "v5 tag")))  # nothing recorded
    assert not ca_changed(s, foreign(None))


def test_an_hsm_key_reads_like_its_software_twin() -> None:
    hsm = spec(key="ec-p256-hsm")
    assert issued_key(hsm, foreign(None, key="ec-p256")) == "ec-p256-hsm"
    assert issued_key(hsm, foreign(None, key="rsa-2048")) == "rsa-2048"
    assert issued_key(spec(), foreign(None, key=None)) is None


def test_nothing_differs_when_the_leaf_is_what_the_config_asks() -> None:
    s = spec(domains=("example.test", "www.example.test"))
    stored = foreign(SAME_CA, domains=("WWW.example.test", "example.test"))  # case and order
    assert differences(s, stored) == []
    issued = as_issued(s, stored)
    assert (issued.key, issued.acme.directory) == (s.key, s.acme.directory)


def test_differences_name_each_change_in_words() -> None:
    s = spec(domains=("example.test", "api.example.test"), key="ec-p256")
    stored = foreign(OTHER_CA, domains=("example.test", "old.example.test"), key="rsa-2048")
    assert differences(s, stored) == [
        "domains changed: +api.example.test, -old.example.test",
        "key type changed: rsa-2048 -> ec-p256 (set key: rsa-2048 to keep it)",
        f"CA changed: acme.other.test -> {s.acme.directory}",
    ]


def test_as_issued_describes_the_leaf_so_its_fingerprint_differs_from_the_config() -> None:
    s = spec(domains=("example.test",), key="ec-p256")
    stored = foreign(OTHER_CA, domains=("example.test", "old.example.test"), key="rsa-2048")
    issued = as_issued(s, stored)
    assert issued.domains == ("example.test", "old.example.test")
    assert issued.key == "rsa-2048"
    assert issued.acme.directory == "acme.other.test"
    assert issued.fingerprint() != s.fingerprint()
    assert issued.name == s.name
