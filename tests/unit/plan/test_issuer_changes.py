"""With several issuers listed, a certificate any of them issued is what the config wants.

Without this, a certificate the second CA issued while the first was down would
read as "CA changed" on the next run and be issued again every run.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from renewer.core.models import Action, ActionKind, CertificateSpec, RenewalInfo
from renewer.core.settings import AcmeSettings
from renewer.plan import budget, planner
from renewer.plan.policy import config_changes
from tests.unit.factories import NOW, spec, stored_for

A = "https://a.example/dir"
B = AcmeSettings("https://b.example/dir", profile="classic")


def listed() -> CertificateSpec:
    return dataclasses.replace(spec(directory=A, profile="shortlived"), fallbacks=(B,))


def test_a_certificate_from_the_fallback_ca_is_unchanged() -> None:
    wanted = listed()
    from_b = stored_for(wanted.with_issuer(B))
    assert config_changes(wanted, from_b) == []
    # Key Vault keeps a hash for a long URL: the fingerprint tells the issuer
    assert config_changes(wanted, dataclasses.replace(from_b, directory=None)) == []
    plan = planner.plan([wanted], {wanted.name: from_b}, NOW)
    assert plan.actions[0].kind is ActionKind.SKIP, plan.actions[0].reason


def test_a_ca_no_longer_listed_is_a_change() -> None:
    wanted = listed()
    old = stored_for(wanted, directory="https://old.example/dir", fingerprint="x")
    assert config_changes(wanted, old) == [f"CA changed: https://old.example/dir -> {A}"]


def test_each_issuer_is_compared_with_its_own_profile() -> None:
    wanted = listed()
    from_b = stored_for(wanted.with_issuer(B))
    reprofiled = dataclasses.replace(wanted, fallbacks=(dataclasses.replace(B, profile=None),))
    assert config_changes(reprofiled, from_b) == ["profile changed: classic -> default"]


def test_names_still_change_whoever_issued() -> None:
    wanted = listed()
    from_b = stored_for(wanted.with_issuer(B))
    more = dataclasses.replace(wanted, domains=(*wanted.domains, "api.example.test"))
    assert config_changes(more, from_b) == ["domains changed: +api.example.test"]


def test_only_a_renewal_at_the_first_ca_carries_replaces_there_and_is_exempt() -> None:
    """The first CA is asked first; it knows only its own certificates' ``replaces``."""
    wanted = listed()
    window = RenewalInfo(NOW - timedelta(hours=1), NOW + timedelta(days=1))
    for issuer, exempt in ((wanted.acme, True), (B, False)):
        stored = stored_for(wanted.with_issuer(issuer))
        action = Action(wanted.name, ActionKind.RENEW, "ARI", wanted, stored)
        assert budget.ari_exempt(action, window, NOW) is exempt
