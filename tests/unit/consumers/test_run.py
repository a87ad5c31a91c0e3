"""consumers.run: who is nudged, who waits and who is left off, said for every consumer.

The nudges themselves talk to ARM (tests/integration/test_consumer_nudges.py runs
them against the rig's ARM stand-in); here no consumer reaches ARM, so none is
built: ``credential_for`` fails the test if it is ever asked.
"""

from __future__ import annotations

from datetime import timedelta

from renewer.consumers.run import OFF, WAITING, NudgeResult, Renewed, nudge_all, span
from renewer.core.consumers import ConsumerSpec, parse_resource_id
from renewer.core.settings import AzureSettings

SUB = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers"
AGW = parse_resource_id(f"{SUB}/Microsoft.Network/applicationGateways/agw-1")
SITE = parse_resource_id(f"{SUB}/Microsoft.Web/sites/portal")


def no_credential(azure: AzureSettings) -> object:
    raise AssertionError("no consumer here should reach ARM")


def renewed(*consumers: ConsumerSpec) -> list[Renewed]:
    return [Renewed("web", "v2", consumers, AzureSettings())]


def test_consumers_without_a_resource_or_a_nudge_wait_with_their_pickup_time() -> None:
    results = nudge_all(
        renewed(
            ConsumerSpec("front-door"),  # short form: no resource to nudge
            ConsumerSpec("container-apps", resource=SITE),  # no documented nudge
            ConsumerSpec("other"),
        ),
        no_credential,
        5.0,
    )
    assert results == (
        NudgeResult("web", "front-door", "", WAITING, "picks it up by itself within 96h"),
        NudgeResult("web", "container-apps", "portal", WAITING, "picks it up by itself within 12h"),
        NudgeResult("web", "other", "", WAITING, "not known"),
    )


def test_nudge_false_and_no_nudge_leave_the_consumer_off_and_say_why() -> None:
    off = ConsumerSpec("application-gateway", resource=AGW, nudge=False)
    assert nudge_all(renewed(off), no_credential, 5.0) == (
        NudgeResult("web", "application-gateway", "agw-1", OFF,
                    "nudge: false; picks it up by itself within 4h"),
    )  # fmt: skip
    on = ConsumerSpec("application-gateway", resource=AGW)
    (result,) = nudge_all(renewed(on), no_credential, 5.0, enabled=False)
    assert (result.outcome, result.detail) == (OFF, "--no-nudge; picks it up by itself within 4h")


def test_span_reads_like_the_documentation() -> None:
    assert span(timedelta(hours=4)) == "4h"
    assert span(timedelta(minutes=90)) == "90m"
    assert span(timedelta(days=1)) == "24h"
