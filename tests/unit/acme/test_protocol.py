"""renewer/acme/protocol.py: what a CA's answer means, read without the network.

The requests themselves run against Pebble in tests/resilience (badNonce,
problems with Retry-After, hung and refused CAs); here the reading of one
answer: a problem document with the pause the CA asked for, a conflict, an
error that is no problem document, and the Link header of alternate chains.
"""

from __future__ import annotations

import json

import pytest
from acme import errors as acme_errors
from acme import messages
from urllib3 import HTTPHeaderDict

from renewer.acme.failures import AcmeFailure
from renewer.acme.protocol import AcmeClient, checked
from renewer.acme.session import Reply


def _reply(status: int, body: bytes = b"", **headers: str) -> Reply:
    fields = HTTPHeaderDict()
    for name, value in headers.items():
        fields.add(name.replace("_", "-"), value)
    return Reply(status, fields, body, "https://ca.test/acme/new-order")


def _problem(status: int, retry_after: str | None) -> Reply:
    body = json.dumps({"type": "urn:ietf:params:acme:error:rateLimited", "detail": "slow down"})
    extra = {} if retry_after is None else {"Retry_After": retry_after}
    return _reply(status, body.encode(), Content_Type="application/problem+json", **extra)


def test_the_problem_carries_its_own_retry_after() -> None:
    """No thread-local: the CA's Retry-After travels on the raised problem."""
    with pytest.raises(messages.Error) as raised:
        checked(_problem(429, "5"))
    assert raised.value.retry_after == 5.0
    failure = AcmeFailure.from_problem("new order refused: ", raised.value)
    assert failure.code == "rateLimited" and failure.retry_after == 5.0 and failure.transient
    assert str(failure) == "new order refused: rateLimited: slow down"
    with pytest.raises(messages.Error) as bare:
        checked(_problem(429, None))
    assert bare.value.retry_after is None
    assert not AcmeFailure.from_problem("", bare.value).transient


def test_success_passes_a_conflict_names_its_location_and_html_is_one_line() -> None:
    ok = _reply(201, b"{}", Location="https://ca.test/acme/order/1")
    assert checked(ok) is ok
    with pytest.raises(acme_errors.ConflictError) as conflict:
        checked(_reply(409, b"{}", Location="https://ca.test/acme/acct/9"))
    assert conflict.value.location == "https://ca.test/acme/acct/9"
    with pytest.raises(AcmeFailure) as gateway:
        checked(_reply(502, b"<html>Bad Gateway</html>"))
    assert gateway.value.transient  # a proxy's 5xx page: worth another try
    assert str(gateway.value).startswith("CA answered HTTP 502 without a problem document")
    with pytest.raises(AcmeFailure) as refused:
        checked(_reply(403, b"Forbidden"))
    assert not refused.value.transient


def test_links_of_one_relation_from_one_or_many_headers() -> None:
    reply = _reply(200)
    reply.headers.add("Link", '<https://ca.test/cert/1/1>;rel="alternate"')
    reply.headers.add(
        "Link", '<https://ca.test/dir>;rel="index", <https://ca.test/cert/1/2>; rel=alternate'
    )
    assert AcmeClient.links(reply, "alternate") == [
        "https://ca.test/cert/1/1",
        "https://ca.test/cert/1/2",
    ]
    assert AcmeClient.links(reply, "index") == ["https://ca.test/dir"]
    assert AcmeClient.links(_reply(200), "alternate") == []
