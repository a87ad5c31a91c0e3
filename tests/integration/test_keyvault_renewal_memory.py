"""Renewal windows remembered in Key Vault tags (issue 17), on the real SDK and Pebble.

The window asked right after issuance goes into the merge's tags; a window
asked again on a run that renewed nothing is PATCHed into the current version's
tags, the others kept as they were (the REST API's PATCH replaces the whole tag
map), and not at all into a version renewed meanwhile. A certificate whose 15
tags are all taken has no room: it is asked every run, and nothing fails.
Requests to the CA's renewalInfo are counted where urllib3 sends them;
the vault's own requests by the stand-in.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from renewer import app
from renewer.core import renewal_window
from renewer.core.models import Outcome, RenewalInfo
from renewer.execute.executor import Executor
from renewer.execute.services import Services
from renewer.stores.keyvault.policy import MAX_TAGS, TAG_DIRECTORY, TAG_WINDOW
from tests.integration.ari_requests import RenewalInfoRequests
from tests.integration.ari_requests import ari_requests as ari_requests  # fixture
from tests.integration.test_keyvault_store import Rig
from tests.integration.test_keyvault_store import quick_lease as quick_lease  # autouse
from tests.integration.test_keyvault_store import rig as rig  # fixture

pytestmark = pytest.mark.integration

USER_TAGS = {f"team-{i}": f"value-{i}" for i in range(10)}  # the most a config may set


def tags_of(rig: Rig, name: str) -> dict[str, str]:
    return dict(rig.certificates().get_certificate(name).properties.tags or {})


def test_windows_live_in_tags_and_a_noop_run_patches_only_what_it_asked(
    rig: Rig, ari_requests: RenewalInfoRequests
) -> None:
    roomy, crowded = rig.spec("roomy"), rig.spec("crowded", tags=USER_TAGS)
    _plan, results = rig.run([roomy, crowded])
    assert {r.outcome for r in results.values()} == {Outcome.SUCCEEDED}

    kept = renewal_window.decode(tags_of(rig, "roomy").get(TAG_WINDOW))
    assert kept is not None and kept.next_check is not None and kept.checked is not None
    assert kept.next_check - kept.checked == timedelta(hours=6)  # Pebble's Retry-After
    full = tags_of(rig, "crowded")
    assert len(full) == MAX_TAGS and TAG_WINDOW not in full and TAG_DIRECTORY in full

    ari_requests.reset()
    rig.kv.reset_counts()
    _plan, state = app.make_plan([roomy, crowded], Services())
    assert state.asked == frozenset({"crowded"})  # no room to remember: asked every run
    assert len(ari_requests) == 1
    assert dict(rig.kv.counts) == {"GET /certificates": 1}

    # An earlier run's window for "roomy" (asked 2 h ago, Retry-After 1 h) is due a re-check.
    now = datetime.now(UTC)
    stale = RenewalInfo(
        start=kept.start,
        end=kept.end,
        checked=now - timedelta(hours=2),
        next_check=now - timedelta(hours=1),
    )
    version = rig.certificates().get_certificate("roomy").properties.version
    before = {**tags_of(rig, "roomy"), TAG_WINDOW: str(renewal_window.encode(stale))}
    rig.certificates().update_certificate_properties("roomy", version, tags=before)

    ari_requests.reset()
    rig.kv.reset_counts()
    services = Services()
    plan, state = app.make_plan([roomy, crowded], services)
    report = app.renew(plan, state, Executor(services))
    assert {r.outcome for r in report.results} == {Outcome.SKIPPED}
    assert state.asked == frozenset({"roomy", "crowded"}) and len(ari_requests) == 2
    # roomy only: its current version read once, then patched; crowded has no room.
    assert rig.kv.count("PATCH /certificates/{name}") == 1
    assert rig.kv.count("GET /certificates/{name}") == 1
    after = tags_of(rig, "roomy")
    assert {k: v for k, v in after.items() if k != TAG_WINDOW} == {
        k: v for k, v in before.items() if k != TAG_WINDOW
    }
    fresh = renewal_window.decode(after[TAG_WINDOW])
    assert fresh is not None and renewal_window.fresh(fresh, datetime.now(UTC))
    assert tags_of(rig, "crowded") == full

    ari_requests.reset()
    _plan, state = app.make_plan([roomy, crowded], Services())
    assert state.asked == frozenset({"crowded"}) and len(ari_requests) == 1


def test_a_version_renewed_since_the_listing_is_not_given_the_old_window(rig: Rig) -> None:
    spec = rig.spec("raced")
    rig.run([spec])
    store = rig.store()
    (listed,) = [s for s in store.iter_current() if s.name == "raced"]
    info = listed.renewal_info
    assert info is not None
    before = tags_of(rig, "raced")

    # The listing this process planned from named another serial (a renewal landed since).
    rig.kv.reset_counts()
    older = dataclasses.replace(listed, serial="00")
    assert store.remember_renewal_info(older, info) is False
    assert rig.kv.count("PATCH /certificates/{name}") == 0
    assert tags_of(rig, "raced") == before
