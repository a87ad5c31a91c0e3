"""Whether a relevant CAA set lets this CA, this account and DNS-01 issue (RFC 8659, 8657).

Pure functions over ``renewer.dns.caa`` records, so the rules are tested
without a server and the same verdict serves the plan, ``doctor`` and the
pre-order check of a run.

- RFC 8659 section 4: no ``issue``/``issuewild`` property means any CA; a
  wildcard name is governed by ``issuewild`` when the set has one, else by
  ``issue``; an issuer domain name is compared case-insensitively with the
  CA's CAA identities (the directory's ``meta.caaIdentities``); an empty
  issuer (``0 issue ";"``) allows nobody; a critical property of a tag the CA
  does not know forbids issuance.
- RFC 8657: ``accounturi`` must equal the account URL, ``validationmethods``
  must list the method used. A parameter that does not hold fails that one
  record only: another record may still allow issuance.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from renewer.dns.caa import CaaRecord, CaaSet

# Tags a CA understands (RFC 8659, 8657, 9495 and the CA/B Forum's issuemail, issuevmc).
KNOWN_TAGS = frozenset(
    {"issue", "issuewild", "iodef", "issuemail", "issuevmc", "contactemail", "contactphone"}
)
DNS_01 = "dns-01"


@dataclass(frozen=True)
class CaaVerdict:
    """``allowed`` True/False, or None when it cannot be told (said in ``reason``)."""

    domain: str
    allowed: bool | None
    reason: str = ""


def parse_issue(value: str) -> tuple[str, dict[str, str]]:
    """``"ca.example; accounturi=https://…; validationmethods=dns-01"`` -> issuer, params."""
    issuer, _, rest = value.partition(";")
    params: dict[str, str] = {}
    for part in rest.split(";"):
        key, sep, val = part.strip().partition("=")
        if sep and key.strip():
            params[key.strip().lower()] = val.strip()
    return issuer.strip().lower(), params


def _shown(records: Sequence[CaaRecord]) -> str:
    return "; ".join(r.text() for r in records)


def evaluate(
    found: CaaSet,
    identities: Collection[str],
    account_url: str | None,
    methods: Collection[str] = (DNS_01,),
    *,
    wildcard: bool = False,
) -> CaaVerdict:
    """The verdict for one name given its relevant set (``found``)."""
    domain = ("*." if wildcard else "") + found.name.rstrip(".")
    if not found.records:
        return CaaVerdict(domain, True, "no CAA record: any CA may issue")
    where = f"CAA at {(found.owner or found.name).rstrip('.')}"
    critical = [r for r in found.records if r.critical and r.tag not in KNOWN_TAGS]
    if critical:
        return CaaVerdict(
            domain, False, f"{where} has a critical property the CA cannot know: {_shown(critical)}"
        )
    tag = "issuewild" if wildcard and any(r.tag == "issuewild" for r in found.records) else "issue"
    relevant = [r for r in found.records if r.tag == tag]
    if not relevant:
        return CaaVerdict(domain, True, f"{where} restricts no CA ({tag})")
    wanted = {i.lower().rstrip(".") for i in identities}
    if not wanted:
        return CaaVerdict(
            domain,
            None,
            f"{where} restricts issuers, but the CA publishes no caaIdentities "
            "(set acme.caa_identities to check): " + _shown(relevant),
        )
    misses: list[str] = []
    unknown = False
    for record in relevant:
        issuer, params = parse_issue(record.value)
        if issuer not in wanted:
            continue
        pinned = params.get("accounturi")
        if pinned is not None and account_url is None:
            unknown = True
            misses.append(f"accounturi={pinned} (no account yet)")
            continue
        if pinned is not None and pinned != account_url:
            misses.append(f"accounturi={pinned} is not this account ({account_url})")
            continue
        listed = params.get("validationmethods")
        if listed is not None:
            offered = {m.strip().lower() for m in listed.split(",")}
            if not offered & {m.lower() for m in methods}:
                misses.append(f"validationmethods={listed} excludes {'/'.join(methods)}")
                continue
        return CaaVerdict(domain, True, f"{where} allows {issuer}: {record.text()}")
    if unknown and len(misses) == 1:
        return CaaVerdict(domain, None, f"{where} pins an account: {_shown(relevant)}")
    who = ", ".join(sorted(wanted))
    why = f" ({'; '.join(misses)})" if misses else ""
    return CaaVerdict(
        domain, False, f"{where} does not allow {who} to issue {tag}{why}: {_shown(relevant)}"
    )


def recommended(
    identity: str, account_url: str | None, methods: Sequence[str] = (DNS_01,)
) -> CaaRecord:
    """The ``issue`` record that allows only this CA, this account and these methods."""
    value = identity
    if account_url:
        value += f"; accounturi={account_url}"
    if methods:
        value += f"; validationmethods={','.join(methods)}"
    return CaaRecord(0, "issue", value)
