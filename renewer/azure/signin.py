"""Azure sign-in without a stored secret.

Inside GitHub Actions the workflow's OIDC token is exchanged for an Entra
token (workload identity federation). The GitHub token lives about five
minutes and Key Vault and ARM are separate token scopes, so the assertion is
fetched afresh on every exchange rather than once per run. Elsewhere
DefaultAzureCredential covers ``az login`` on a laptop and managed identity
on a VM.

Every credential handed out is a ``SignInCredential``: a TokenCredential that
registers each access token with ``renewer.core.redact`` and turns any sign-in
failure into one ``SignInError`` line (see ``renewer.azure.errors``), so the
Key Vault store and the Azure DNS provider never print an SDK stack of
messages or a token.

How azure-identity behaves here (1.27, read from its source):

* ``ClientAssertionCredential`` does not go through MSAL for the exchange:
  its ``AadClient`` POSTs ``grant_type=client_credentials`` +
  ``client_assertion`` straight to ``<authority>/<tenant>/oauth2/v2.0/token``
  and calls our assertion function once per POST (cache misses only; one
  token per scope is cached in memory). It fetches no metadata, so it needs
  no instance discovery switch; it silently ignores
  ``disable_instance_discovery``.
* Entra's error answers become ``ClientAuthenticationError`` in
  ``aad_client_base._raise_for_error`` ("Microsoft Entra ID error
  '(invalid_client) AADSTS700213: ...'"); network and TLS failures become
  ``ServiceRequestError`` after azure-core's retries; an unreadable CA bundle
  path becomes a bare ``OSError``.
* DefaultAzureCredential does not hand its ``authority`` to the
  WorkloadIdentityCredential it builds (nor to managed identity): with
  ``AZURE_FEDERATED_TOKEN_FILE`` set it would exchange at the public cloud (or
  ``AZURE_AUTHORITY_HOST``) whatever the config says, and a rejection there
  ends its chain. So when that file and both IDs are set we build the same
  file-based assertion credential ourselves, with the configured authority.
* The MSAL-based credentials inside DefaultAzureCredential (e.g. a client
  secret from the environment) first do instance discovery on
  login.microsoftonline.com for any host they do not know. For a loopback
  authority (an emulator or test stand-in) that lookup can only fail, so it is
  switched off; MSAL then reads ``<authority>/<tenant>/v2.0/.well-known/
  openid-configuration`` from the emulator itself.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
from azure.core.exceptions import AzureError

from renewer.azure.errors import GITHUB_AUDIENCE as GITHUB_AUDIENCE
from renewer.azure.errors import GITHUB_ISSUER as GITHUB_ISSUER
from renewer.azure.errors import SignInError as SignInError
from renewer.azure.errors import describe_auth_error as describe_auth_error
from renewer.azure.errors import one_line, token_audience
from renewer.core import redact
from renewer.core.cache import Cache
from renewer.core.oidc_request import REQUEST_TOKEN_ENV, REQUEST_URL_ENV, forget, take
from renewer.core.settings import AzureSettings

if TYPE_CHECKING:
    from azure.core.credentials import (
        AccessToken,
        AccessTokenInfo,
        SupportsTokenInfo,
        TokenCredential,
        TokenRequestOptions,
    )

TIMEOUT = 15

_log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- GitHub


def in_github_oidc() -> bool:
    """True when the job may request an OIDC token (permissions: id-token: write).

    The request variables are read once and leave the environment (oidc_request.py).
    """
    return take() is not None


def github_oidc_token(audience: str = GITHUB_AUDIENCE) -> str:
    """A fresh GitHub Actions OIDC token for ``audience`` (registered for redaction)."""
    request = take()
    if request is None:
        raise SignInError(
            f"{REQUEST_URL_ENV} / {REQUEST_TOKEN_ENV} are not set; "
            "the job needs 'permissions: id-token: write'"
        )
    url, bearer = request.url, request.bearer
    try:
        response = requests.get(
            url,
            params={"audience": audience},
            headers={"Authorization": f"Bearer {bearer}", "Accept": "application/json"},
            timeout=TIMEOUT,
        )
    except requests.RequestException as exc:
        raise SignInError(
            f"GitHub OIDC token request failed: {exc.__class__.__name__}", transient=True
        ) from None
    if response.status_code != 200:
        raise SignInError(
            f"GitHub OIDC token request answered HTTP {response.status_code}; "
            "does the job have 'permissions: id-token: write'?",
            transient=response.status_code >= 500,
        )
    try:
        token = str(response.json().get("value", ""))
    except (ValueError, AttributeError):
        token = ""
    if not token:
        raise SignInError("GitHub OIDC token response had no 'value'")
    redact.register(token)
    return token


def workload_identity_token(path: str) -> str:
    """The federated token a platform wrote to ``path`` (AKS etc.), read on every exchange."""
    try:
        token = Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise SignInError(
            f"cannot read AZURE_FEDERATED_TOKEN_FILE {path}: {exc.strerror}"
        ) from None
    if not token:
        raise SignInError(f"AZURE_FEDERATED_TOKEN_FILE {path} is empty")
    redact.register(token)
    return token


def _unverified_claims(token: str) -> dict[str, Any]:
    """The JWT payload without checking anything, for error messages only."""
    try:
        payload = token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


# --------------------------------------------------------------------------- credential


def is_loopback_authority(authority: str) -> bool:
    """True for https://localhost / 127.0.0.0/8 / [::1] authorities (emulators, test rigs)."""
    host = urlsplit(authority if "://" in authority else f"https://{authority}").hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# What a token request can fail with besides SignInError: Entra's answers and
# transport errors (AzureError) and an unreadable CA bundle (OSError).
# Programming errors (e.g. no scope) keep their traceback.
_SIGN_IN_FAILURES = (AzureError, OSError)


class SignInCredential:
    """The credential the renewer hands to Azure SDK clients.

    A TokenCredential (and SupportsTokenInfo) around the azure-identity one:
    each access token is registered with ``renewer.core.redact`` before anyone can
    log it, and any failure leaves as one ``SignInError`` line.  Converting
    also stops SDK clients' retry policies from repeating a rejected exchange
    (``SignInError`` is not an ``AzureError``); azure-identity has already
    retried transient network errors itself.
    """

    def __init__(
        self,
        *,
        mode: str,
        authority: str,
        tenant_id: str | None = None,
        client_id: str | None = None,
        assertion: Callable[[], str] | None = None,
        audience: str = GITHUB_AUDIENCE,
    ) -> None:
        self._inner: Any = None  # set by _build once the assertion callback exists
        self.mode = mode  # "github-oidc", "workload-identity" or "default"
        self.authority = authority
        self.tenant_id = tenant_id
        self.client_id = client_id
        self._source = assertion
        self.audience = audience  # what the GitHub OIDC token is requested for
        self._claims: dict[str, Any] = {}

    @property
    def inner(self) -> Any:
        """The azure-identity credential (for tests and diagnostics)."""
        return self._inner

    def describe(self) -> str:
        """Who we sign in as, without secrets: mode, client, tenant, authority."""
        if self.mode == "default":
            return f"DefaultAzureCredential at {self.authority}"
        how = "GitHub OIDC" if self.mode == "github-oidc" else "workload identity"
        return f"{how} as client {self.client_id} in tenant {self.tenant_id} at {self.authority}"

    def _assertion(self) -> str:
        """Called by ClientAssertionCredential on every exchange: always a fresh token."""
        if self._source is None:
            raise SignInError(f"{self.mode} sign-in has no assertion source")
        token = self._source()
        claims = _unverified_claims(token)
        self._claims = {k: claims[k] for k in ("iss", "sub", "aud") if k in claims}
        _log.debug("federated token for subject %s (jti %s)", claims.get("sub"), claims.get("jti"))
        return token

    def _fail(self, exc: BaseException) -> SignInError:
        _log.debug("Azure sign-in failed (%s): %s", self.describe(), one_line(str(exc)))
        return SignInError(
            describe_auth_error(
                exc,
                tenant_id=self.tenant_id,
                client_id=self.client_id,
                assertion_claims=self._claims,
                expected_audience=self.audience,
            ),
            # Entra unreachable (azure-identity already retried): the next run may do better.
            transient=type(exc).__name__ in ("ServiceRequestError", "ServiceResponseError"),
        )

    def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        try:
            token: AccessToken = self._inner.get_token(
                *scopes, claims=claims, tenant_id=tenant_id, enable_cae=enable_cae, **kwargs
            )
        except _SIGN_IN_FAILURES as exc:
            raise self._fail(exc) from None
        redact.register(token.token)
        return token

    def get_token_info(
        self, *scopes: str, options: TokenRequestOptions | None = None
    ) -> AccessTokenInfo:
        try:
            info: AccessTokenInfo = self._inner.get_token_info(*scopes, options=options)
        except _SIGN_IN_FAILURES as exc:
            raise self._fail(exc) from None
        redact.register(info.token)
        return info

    def close(self) -> None:
        self._inner.close()

    def __enter__(self) -> SignInCredential:
        return self

    def __exit__(self, *args: object) -> None:
        self.close()


if TYPE_CHECKING:  # SignInCredential satisfies both azure-core protocols
    _as_token_credential: type[TokenCredential] = SignInCredential
    _as_token_info: type[SupportsTokenInfo] = SignInCredential


_cache: Cache[AzureSettings, SignInCredential] = Cache()


def azure_credential(azure: AzureSettings) -> SignInCredential:
    """One credential per cloud setting for the whole run (tokens are cached inside).

    The result is an azure-core ``TokenCredential`` (and ``SupportsTokenInfo``).
    Raises SignInError when sign-in cannot be set up (missing variables, a
    non-https authority, an unreadable CA bundle).
    """
    return _cache.get(azure, lambda: _build(azure))


def reset_cache() -> None:
    """Forget (and close) every cached credential and the OIDC request taken; for tests."""
    forget()
    for credential in _cache.clear():
        try:
            credential.close()
        except Exception as exc:  # closing is best effort
            _log.debug("closing %s failed: %s", credential.describe(), exc)


def _build(azure: AzureSettings) -> SignInCredential:
    from azure.identity import DefaultAzureCredential

    authority = azure.resolved_authority_host.rstrip("/")
    if urlsplit(authority).scheme != "https":
        raise SignInError(f"Azure authority {authority} must be an https:// URL")
    # Always passed explicitly, so AZURE_AUTHORITY_HOST in the environment cannot
    # silently send a run to another cloud than the config says.
    options: dict[str, Any] = {"authority": authority}
    if azure.ca_bundle is not None:
        if not azure.ca_bundle.is_file():
            raise SignInError(f"Azure ca_bundle {azure.ca_bundle} is not a readable file")
        options["connection_verify"] = str(azure.ca_bundle)

    if in_github_oidc():
        missing = [n for n in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID") if not os.environ.get(n)]
        if missing:
            raise SignInError(
                "GitHub OIDC is available (id-token: write) but "
                + " and ".join(missing)
                + (" is" if len(missing) == 1 else " are")
                + " not set; set them to the app registration's IDs"
            )
        audience = token_audience(azure.cloud, azure.token_audience)
        return _assertion_credential(
            "github-oidc", authority, options, lambda: github_oidc_token(audience), audience
        )

    token_file = os.environ.get("AZURE_FEDERATED_TOKEN_FILE")
    if (
        token_file
        and os.environ.get("AZURE_TENANT_ID")
        and os.environ.get("AZURE_CLIENT_ID")
        and not os.environ.get("AZURE_CLIENT_SECRET")
        and not os.environ.get("AZURE_CLIENT_CERTIFICATE_PATH")
    ):
        # What DefaultAzureCredential would pick first, but with our authority.
        return _assertion_credential(
            "workload-identity", authority, options, lambda: workload_identity_token(token_file)
        )

    if is_loopback_authority(authority):
        # An emulator on this machine: MSAL would otherwise ask
        # login.microsoftonline.com whether the host is a valid authority.
        options["disable_instance_discovery"] = True
    credential = SignInCredential(
        mode="default",
        authority=authority,
        tenant_id=os.environ.get("AZURE_TENANT_ID"),
        client_id=os.environ.get("AZURE_CLIENT_ID"),
    )
    credential._inner = DefaultAzureCredential(**options)
    return credential


def _assertion_credential(
    mode: str,
    authority: str,
    options: dict[str, Any],
    source: Callable[[], str],
    audience: str = GITHUB_AUDIENCE,
) -> SignInCredential:
    from azure.identity import ClientAssertionCredential

    tenant, client = os.environ["AZURE_TENANT_ID"], os.environ["AZURE_CLIENT_ID"]
    credential = SignInCredential(
        mode=mode,
        authority=authority,
        tenant_id=tenant,
        client_id=client,
        assertion=source,
        audience=audience,
    )
    # No disable_instance_discovery: ClientAssertionCredential never does
    # discovery (see the module docstring) and silently ignores the option.
    credential._inner = ClientAssertionCredential(tenant, client, credential._assertion, **options)
    return credential
