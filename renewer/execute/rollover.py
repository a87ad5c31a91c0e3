"""``renewer account rollover``: a new account key, the same account URL.

A key thought leaked is replaced without a new account: CAA ``accounturi`` and
dns-persist-01 records name the account URL, which keyChange keeps (RFC 8555
7.3.5). The order of the steps is what makes a kill at any point harmless:

1. the account is looked up with the stored key (an earlier rollover's pending
   key is settled first: renewer.acme.keychange);
2. a new key is made and stored as *pending* beside the old one, before the CA
   hears of it: a kill from here on leaves both keys stored;
3. keyChange is sent, signed by the old key, carrying the new key's signature;
4. once the CA answered, the new key is stored alone.

A kill between 2 and 4 leaves a pending key; the next start asks the CA which
of the two it holds and keeps that one. After a keyChange that failed the CA is
asked at once whether it switched anyway (a lost answer, then a repeated
request refused): if it did, step 4 follows; if not, both keys stay stored for
the next run to settle, because a request that timed out may still be carried
out and dropping the new key early could strand the account.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from josepy.jwk import JWK

from renewer.acme.client import AcmeAccount
from renewer.acme.failures import AcmeFailure
from renewer.acme.keychange import (
    account_answers,
    new_account_key,
    send_key_change,
    signed_by,
    thumbprint,
)
from renewer.acme.protocol import AcmeClient
from renewer.core import retry
from renewer.core.errors import describe_error
from renewer.core.retry import Deadline
from renewer.execute.accounts import NewAccountRefused
from renewer.stores.contract import AccountRecord

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rolled:
    """One account whose key was replaced: its URL (unchanged) and both thumbprints."""

    directory: str
    store: str
    account_url: str
    old_thumbprint: str
    new_thumbprint: str


def _never_register(why: str) -> None:
    raise NewAccountRefused(
        f"key rollover registers no account ({why}); run renew first", "accountMissing"
    )


def roll_over(account: AcmeAccount, deadline: Deadline | None = None) -> Rolled:
    """Replace the account key of ``account`` at its CA (module doc); AcmeFailure if not."""
    store, directory = account.store, account.settings.directory
    where = f"{directory} ({store.describe()})"
    if store.load_account(directory) is None:
        raise AcmeFailure(f"no ACME account stored for {where}: nothing to roll over")
    account.before_register = _never_register
    acme = account.client(deadline or Deadline.after(retry.DEFAULT_DEADLINE))  # step 1
    record = store.load_account(directory)
    regr = acme.net.account
    if record is None or regr is None or not regr.uri or record.pending_key_json:
        raise AcmeFailure(f"the ACME account of {where} changed during the rollover; run it again")
    old_json, uri = record.key_json, regr.uri
    if thumbprint(old_json) != thumbprint(acme.net.key.json_dumps()):
        raise AcmeFailure(f"the ACME account of {where} changed during the rollover; run it again")
    new_key = new_account_key()
    new_json = new_key.json_dumps()
    pending = AccountRecord(directory, old_json, uri, pending_key_json=new_json)
    store.save_account(pending)  # step 2: both keys stored before the CA is asked
    log.info("ACME account %s: new key stored as pending; asking the CA to switch", uri)
    try:
        send_key_change(acme, new_key)  # step 3
    except Exception as exc:
        if not _switched(acme, uri, new_key):
            raise AcmeFailure(
                f"key change for {uri} not confirmed ({describe_error(exc)}); both keys stay "
                "stored and the next run keeps the one the CA accepts"
            ) from None
        log.info("ACME account %s: the CA switched although its answer was lost", uri)
    # Step 4, also after a lost answer; unconditional, as a run that settled the pending
    # key meanwhile (seeing the CA still on the old key) may have dropped it.
    store.save_account(AccountRecord(directory, new_json, uri))
    log.warning("ACME account %s: key rolled over; the account URL is unchanged", uri)
    return Rolled(directory, store.describe(), uri, thumbprint(old_json), thumbprint(new_json))


def _switched(acme: AcmeClient, uri: str, new_key: JWK) -> bool:
    """Whether the CA now accepts ``new_key`` for the account; False when it cannot tell.

    Only a yes changes the store: a request that timed out may still be carried
    out later, so a no never drops the pending key here (the next run settles it).
    """
    try:
        return account_answers(lambda key: signed_by(acme, key), uri)(new_key)
    except Exception as exc:
        log.info("cannot tell whether the CA switched %s: %s", uri, describe_error(exc))
        return False
