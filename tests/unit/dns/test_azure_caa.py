"""The CAA set renewer writes at an Azure DNS zone apex: others' records kept, only adds."""

from __future__ import annotations

from datetime import UTC, datetime

from azure.mgmt.dns.models import CaaRecord as AzureCaa
from azure.mgmt.dns.models import RecordSet

from renewer.dns.caa import CaaRecord
from renewer.dns.providers.azure_caa import merged, note_key, records_of

NOW = datetime(2026, 5, 1, tzinfo=UTC)
OURS = CaaRecord(0, "issue", "ca.example; accounturi=https://ca.example/acct/1")


def _set(*records: tuple[int, str, str], metadata: dict[str, str] | None = None) -> RecordSet:
    return RecordSet(
        ttl=300,
        etag="e1",
        metadata=metadata or {"owner": "dns-team"},
        caa_records=[AzureCaa(flags=f, tag=t, value=v) for f, t, v in records],
    )


def test_a_new_set_holds_our_record_noted_in_its_metadata() -> None:
    created = merged(None, [OURS], wildcard=False, now=NOW)
    assert created is not None and created.ttl == 3600
    assert records_of(created) == [OURS]
    assert created.metadata == {note_key(OURS): "2026-05-01T00:00:00+00:00"}


def test_others_records_ttl_and_metadata_are_kept_as_they_were() -> None:
    current = _set((0, "ISSUE", "other-ca.example"), (0, "iodef", "mailto:sec@example.test"))
    updated = merged(current, [OURS], wildcard=False, now=NOW)
    assert updated is not None and updated.ttl == 300
    assert [(r.flags, r.tag, r.value) for r in updated.caa_records or []] == [
        (0, "ISSUE", "other-ca.example"),  # not even its tag's case is changed
        (0, "iodef", "mailto:sec@example.test"),
        (0, "issue", OURS.value),
    ]
    assert updated.metadata == {"owner": "dns-team", note_key(OURS): "2026-05-01T00:00:00+00:00"}


def test_nothing_to_write_when_the_record_is_there_even_if_someone_else_wrote_it() -> None:
    assert merged(_set((0, "issue", OURS.value)), [OURS], wildcard=True, now=NOW) is None


def test_issuewild_twins_only_where_issuewild_records_decide_for_wildcards() -> None:
    plain = _set((0, "issue", "other-ca.example"))
    assert records_of(merged(plain, [OURS], wildcard=True, now=NOW))[-1] == OURS  # no twin
    gated = _set((0, "issuewild", ";"))
    twins = records_of(merged(gated, [OURS], wildcard=True, now=NOW))
    assert twins == [CaaRecord(0, "issuewild", ";"), OURS, CaaRecord(0, "issuewild", OURS.value)]
    no_wildcard = records_of(merged(gated, [OURS], wildcard=False, now=NOW))
    assert no_wildcard == [CaaRecord(0, "issuewild", ";"), OURS]
