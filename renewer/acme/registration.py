"""Finding or creating the account at a CA, with external account binding (EAB).

Why its own path for EAB: CAs answer an EAB they cannot match (an unknown kid,
a wrong HMAC key, a key already bound) in different ways, and step-ca answers
all of them with a 500 ``serverInternal``. Through the client's retrying POST
that was four tries per order and three orders per certificate, and a message
that said only "serverInternal". Here a 500 is tried once more, never more, and
the failure names EAB: the kid, that an HMAC-signed binding was sent, and the
CA's own problem. The HMAC key itself never appears in any message.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from acme import errors as acme_errors
from acme import messages
from josepy.jwk import JWK

from renewer.acme.failures import AcmeFailure, problem_retry_after, problem_text
from renewer.acme.protocol import AcmeClient
from renewer.core import retry
from renewer.core.secrets import decode_base64
from renewer.core.settings import AcmeSettings

log = logging.getLogger(__name__)

EAB_ATTEMPTS = 2  # a 500 on newAccount with EAB: one more try covers a real hiccup
EAB_RETRY_PAUSE = 1.0  # seconds before it, unless the CA sent a Retry-After


class EabRefused(AcmeFailure):
    """newAccount with EAB refused: every certificate of the account fails with this line,
    and the CA is not asked again in this run (no number of tries fixes a wrong kid)."""


def existing_account(acme: AcmeClient) -> messages.RegistrationResource | None:
    """The account of ``acme``'s key at the CA, or None when the CA does not know it."""
    try:
        return acme.new_account(messages.NewRegistration(only_return_existing=True))
    except acme_errors.ConflictError as found:
        return messages.RegistrationResource(uri=found.location, body=messages.Registration())
    except messages.Error as error:
        if error.code == "accountDoesNotExist":
            return None
        raise AcmeFailure.from_problem("account lookup failed: ", error) from None


def register(acme: AcmeClient, key: JWK, settings: AcmeSettings) -> messages.RegistrationResource:
    """A new account for ``key`` (terms agreed, contact, EAB when configured)."""
    directory = acme.directory
    fields: dict[str, Any] = {"terms_of_service_agreed": True}
    if settings.contact:
        fields["contact"] = settings.contact
    if settings.eab is not None:
        hmac_key = settings.eab.hmac_key.resolve()
        eab_key = f"acme.eab.hmac_key (the value of {settings.eab.hmac_key})"
        decode_base64(hmac_key, eab_key, urlsafe=True)  # name the setting, not the value
        kid = settings.eab.kid.resolve()
        fields["external_account_binding"] = messages.ExternalAccountBinding.from_data(
            account_public_key=key.public_key(),
            kid=kid,
            hmac_key=hmac_key,
            directory=directory,
        )
        return _register_eab(acme, messages.NewRegistration(**fields), kid)
    if getattr(directory.meta, "external_account_required", False):
        raise AcmeFailure("the CA requires external account binding: set acme.eab")
    try:
        return acme.new_account(messages.NewRegistration(**fields))
    except acme_errors.ConflictError as found:
        return messages.RegistrationResource(uri=found.location, body=messages.Registration())
    except messages.Error as error:
        raise AcmeFailure.from_problem("account registration failed: ", error) from None


def _register_eab(
    acme: AcmeClient, registration: messages.NewRegistration, kid: str
) -> messages.RegistrationResource:
    """newAccount with EAB, sent at most ``EAB_ATTEMPTS`` times.

    The client's POST with badNonce retries only (``transient_retries=False``): the
    request still goes through the account's session, deadline and down list.
    """
    url = acme.directory["newAccount"]
    attempt = 1
    while True:
        try:
            response = acme.post(url, registration, transient_retries=False)
            break
        except messages.Error as error:
            if error.code == "serverInternal" and attempt < EAB_ATTEMPTS:
                log.info("newAccount with EAB kid %r: %s; trying once more", kid, error.code)
                _pause(acme.cancel, problem_retry_after(error) or EAB_RETRY_PAUSE)
                attempt += 1
                continue
            sent = "twice" if attempt > 1 else "once"
            raise EabRefused(
                f"account registration with external account binding failed: kid {kid!r}, "
                f"an HMAC-signed binding was sent ({sent}); the CA answered "
                f"{problem_text(error)} (an unknown kid, a wrong HMAC key or a key already "
                "bound to another account: check acme.eab)",
                error.code,
                transient=False,
            ) from None
    if response.status_code == 200 and "Location" in response.headers:  # already registered
        return messages.RegistrationResource(
            uri=response.headers["Location"], body=messages.Registration()
        )
    regr = messages.RegistrationResource(
        body=messages.Registration.from_json(response.json()),
        uri=response.headers.get("Location"),
    )
    acme.net.account = regr
    return regr


def _pause(cancel: threading.Event | None, seconds: float) -> None:
    """Wait ``seconds``; Cancelled at once when the run's cancel event is set."""
    if (cancel or threading.Event()).wait(seconds):
        raise retry.Cancelled("run cancelled")
