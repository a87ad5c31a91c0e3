"""consumers.arm: ARM calls as the run's identity, retried inside a deadline, polled to the end.

ARM is the rig's consumers stand-in (tests/rig/arm_consumers.py) over HTTPS, with
azure-core's pipeline in front as in a run.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from azure.core.credentials import AccessToken
from rig.arm_consumers import API, ArmConsumers, Fault
from rig.tls import TlsMaterial

from renewer.consumers.arm import ArmClient, ArmError
from renewer.core.retry import Deadline
from renewer.core.settings import AzureSettings

SUB = "/subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups"
AGW = f"{SUB}/net/providers/Microsoft.Network/applicationGateways/agw-01"
AFD_SECRET = f"{SUB}/edge/providers/Microsoft.Cdn/profiles/afd-01/secrets/portal"


class Token:
    def __init__(self, value: str) -> None:
        self.value = value

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self.value, int(time.time()) + 3600)


@pytest.fixture
def arm(tls_root: TlsMaterial) -> Iterator[ArmConsumers]:
    with ArmConsumers(tls_root) as stand_in:
        stand_in.add(AGW, {"tags": {"owner": "net"}, "properties": {}})
        stand_in.add(AFD_SECRET, {"properties": {"parameters": {}}})
        yield stand_in


def client(arm: ArmConsumers, tls_root: TlsMaterial, token: str | None = None) -> ArmClient:
    azure = AzureSettings(arm_endpoint=arm.endpoint, ca_bundle=tls_root.root)
    return ArmClient(azure, Token(token or arm.token))


def test_a_call_answers_the_resource_json(arm: ArmConsumers, tls_root: TlsMaterial) -> None:
    found = client(arm, tls_root).call(
        "PATCH", AGW, API["applicationGateways"], Deadline.after(10), {"tags": {"n": "1"}}
    )
    assert found["tags"] == {"n": "1"} and arm.get(AGW)["tags"] == {"n": "1"}  # type: ignore[index]


def test_throttling_is_retried_and_a_client_error_is_not(
    arm: ArmConsumers, tls_root: TlsMaterial
) -> None:
    arm.fail("GET", "applicationGateways", Fault(429, "TooManyRequests", retry_after="0"))
    assert client(arm, tls_root).call("GET", AGW, API["applicationGateways"], Deadline.after(10))
    assert arm.count("GET", "applicationGateways", 429) == 1
    arm.fail("GET", "applicationGateways", Fault(403, "AuthorizationFailed"))
    with pytest.raises(ArmError) as caught:
        client(arm, tls_root).call("GET", AGW, API["applicationGateways"], Deadline.after(10))
    assert caught.value.status == 403 and caught.value.code == "AuthorizationFailed"
    assert not caught.value.transient


def test_a_long_running_operation_is_polled_until_it_succeeds(
    arm: ArmConsumers, tls_root: TlsMaterial
) -> None:
    body = {"properties": {"parameters": {"useLatestVersion": False}}}
    client(arm, tls_root).call("PUT", AFD_SECRET, API["secrets"], Deadline.after(10), body)
    assert arm.count("GET", "operations") == 2  # InProgress, then Succeeded


def test_a_bad_token_is_an_error_naming_arms_code(arm: ArmConsumers, tls_root: TlsMaterial) -> None:
    with pytest.raises(ArmError, match="HTTP 401 InvalidAuthenticationToken"):
        client(arm, tls_root, token="wrong").call(
            "GET", AGW, API["applicationGateways"], Deadline.after(10)
        )
